/** @type {import('next').NextConfig} */
const nextConfig = {
  // Server-only packages that must not be bundled (native drivers, pino transports, gRPC).
  serverExternalPackages: ["mysql2", "mariadb", "pino", "ioredis", "rocketmq-client-nodejs", "@grpc/grpc-js", "@prisma/adapter-mariadb"],
  poweredByHeader: false,
  reactStrictMode: true,
  typescript: { tsconfigPath: "tsconfig.json" },
};

export default nextConfig;
