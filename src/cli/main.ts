/**
 * The `deconv` command: `deconv demo` (what transposed convolution does, with pictures) and
 * `deconv bench` (the benchmark suite against the peers). Returns the exit status; a bad argument
 * (a TypeError or RangeError from the parsers) is one line on stderr and status 2.
 */
import { benchCommand, type CliIo } from './bench.js';
import { demoCommand } from './demo/command.js';
import { packageVersion } from './paths.js';

export const MAIN_HELP = `usage: deconv <command> [options]

  demo     upsampling on every backend, checkerboard artifacts, a DCGAN generator: PNGs and an
           HTML report in demo-output/ (deconv demo --help)
  bench    the benchmark suite against TensorFlow, ONNX Runtime, TensorFlow.js, PyTorch
           (deconv bench --help)

  --version, --help`;

export async function main(argv: readonly string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'demo':
        return await demoCommand(rest, io);
      case 'bench':
        return await benchCommand(rest, io);
      case '--version':
        io.stdout.write(`${packageVersion()}\n`);
        return 0;
      case undefined:
      case '--help':
      case 'help':
        io.stdout.write(`${MAIN_HELP}\n`);
        return 0;
      default:
        throw new RangeError(`deconv: unknown command '${command}' (demo, bench, --help)`);
    }
  } catch (e) {
    // A bad argument is a TypeError or RangeError naming it: one line. DECONV_DEBUG=1 shows the stack.
    if ((e instanceof RangeError || e instanceof TypeError) && !process.env.DECONV_DEBUG) {
      io.stderr.write(`${e.message}\n`);
      return 2;
    }
    throw e;
  }
}
