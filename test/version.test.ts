// Which release is running: `lazyload --version`, the build-info gauge on both servers' /metrics, and
// the version in their start-up log line. The expected version is package.json's, read here directly.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startServer } from '../src/cli/serve.js';
import { createLogger } from '../src/log.js';
import { runLazyload } from './support/cli.js';
import { fileClosers, startTestForwarder } from './support/forwarder.js';
import { repoRoot } from './support/schemas.js';

const { version } = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
const buildInfo = `lazyload_build_info{version="${version}"} 1`;
const { perTest } = fileClosers();

const startLog = (lines: string[], msg: string) => lines.map((l) => JSON.parse(l)).find((l) => l.msg === msg);

describe('the version', () => {
  it('is what `lazyload --version` prints, alone on stdout', () => {
    expect(runLazyload(['--version'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('is exported by the hook server as lazyload_build_info and logged when it starts listening', async () => {
    const lines: string[] = [];
    const server = await startServer({ port: 0, host: '127.0.0.1', logger: createLogger('info', (l) => lines.push(l)) });
    perTest.add(() => server.close());
    expect((await (await fetch(`${server.url}/metrics`)).text()).split('\n')).toContain(buildInfo);
    expect(startLog(lines, 'listening')).toMatchObject({ url: server.url, version });
  });

  it('is exported by the forwarder as lazyload_build_info on its probe port and logged when it starts listening', async () => {
    const lines: string[] = [];
    const f = await startTestForwarder(perTest, { logger: createLogger('info', (l) => lines.push(l)) });
    expect((await (await fetch(`${f.probeUrl}/metrics`)).text()).split('\n')).toContain(buildInfo);
    expect(startLog(lines, 'probe listening')).toMatchObject({ url: f.probeUrl, version });
  });
});
