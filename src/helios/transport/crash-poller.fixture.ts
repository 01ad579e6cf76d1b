/**
 * Test fixture run as a child process: polls the simulator and, inside the handler, announces itself and
 * hangs so that the test can kill the process in the middle of the handling (a real crash).
 * argv: <port>
 */
import { FtpHeliosTransport } from './ftp-transport.ts';

const port = Number(process.argv[2]);
const transport = new FtpHeliosTransport({ host: '127.0.0.1', port, user: 'paraphe', password: 'paraphe', serverCode: 'VHPCE11' });
await transport.fetchResponses(async (r) => {
  process.stdout.write(`IN-HANDLER ${r.key}\n`);
  await new Promise(() => undefined);
});
