// Loaded into every child process of a benchmark (`--import`): a child started with an IPC channel
// exits when the channel closes, which it does when the benchmark exits in any way, SIGKILL included.
// No leftover servers on the machine, whatever happened to the run.
if (process.channel) process.on('disconnect', () => process.exit(0));
