// Reading Docker's multiplexed streams (attach, exec, logs without a TTY) in tests: dockerode's own
// demuxer, so the tests read them as berth's clients do.
import { PassThrough, Readable } from 'node:stream';
import type Docker from 'dockerode';

export interface Split {
  stdout: string;
  stderr: string;
}

/** Splits a multiplexed stream into stdout and stderr; resolves when the stream ends. */
export async function demux(docker: Docker, stream: NodeJS.ReadableStream): Promise<Split> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (d: Buffer) => (stdout += d.toString()));
  err.on('data', (d: Buffer) => (stderr += d.toString()));
  const ended = new Promise<void>((resolve) => stream.on('end', () => resolve()));
  docker.modem.demuxStream(stream, out, err);
  await ended;
  return { stdout, stderr };
}

/** The same for a body already read whole (`logs` with follow: false answers a Buffer). */
export function demuxBuffer(docker: Docker, body: Buffer): Promise<Split> {
  return demux(docker, Readable.from([body]));
}

/** Runs `cmd` in a container through exec and returns its exit code and output. */
export async function execIn(docker: Docker, container: Docker.Container, cmd: string[]): Promise<Split & { code: number }> {
  const e = await container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const split = await demux(docker, await e.start({}));
  // The exit code is recorded just after the stream ends.
  for (let i = 0; i < 50; i++) {
    const info = await e.inspect();
    if (!info.Running && info.ExitCode !== null) return { ...split, code: info.ExitCode };
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`exec ${cmd.join(' ')} did not report an exit code`);
}
