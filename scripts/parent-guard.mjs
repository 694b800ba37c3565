/**
 * Preloaded into every child of `npm start` (`node --import`). Should the supervisor die without
 * stopping us (SIGKILL, a crash), we are re-parented: then we send ourselves SIGTERM — the same
 * graceful stop the supervisor would have asked for — instead of living on as an orphan that
 * holds a port or keeps consuming. Our output is a pipe to the supervisor, so once it is gone a
 * write fails with EPIPE: ignored here, it must not end the process mid-message.
 */
const supervisor = process.ppid;
const watch = setInterval(() => {
  if (process.ppid === supervisor) return;
  clearInterval(watch);
  process.kill(process.pid, "SIGTERM");
}, 1000);
watch.unref();

process.stdout.on("error", () => {});
process.stderr.on("error", () => {});
