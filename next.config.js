/** @type {import('next').NextConfig} */
const nextConfig = {
  // Server-only packages that must not be bundled (native drivers, pino transports, gRPC).
  serverExternalPackages: ["mysql2", "mariadb", "pino", "ioredis", "rocketmq-client-nodejs", "@grpc/grpc-js", "@prisma/adapter-mariadb"],
  poweredByHeader: false,
  experimental: {
    // proxy.ts makes Next.js buffer request bodies (10 MB by default) before any handler runs.
    // One byte over the API's cap (lib/http/body-limit.ts) is enough for the handler to answer 413.
    proxyClientMaxBodySize: 64 * 1024 + 1,
  },
  reactStrictMode: true,
  typescript: { tsconfigPath: "tsconfig.json" },
};

export default nextConfig;
