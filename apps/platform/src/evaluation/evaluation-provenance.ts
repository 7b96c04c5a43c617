import { execFileSync } from 'node:child_process';
import { projectRoot } from '@tessera/common';
import { describeBackend } from '@tessera/tensor';
import type { ModelCardEvaluation } from '@tessera/eval';

export type EvaluationProvenance = Pick<ModelCardEvaluation, 'gitCommit' | 'gitDirty' | 'backend' | 'node'>;

/** Which code and runtime produced an evaluation: git commit (when the project is a git checkout), backend, Node. */
export function evaluationProvenance(): EvaluationProvenance {
  const b = describeBackend();
  const commit = git(['rev-parse', 'HEAD']);
  const status = commit === undefined ? undefined : git(['status', '--porcelain', '--untracked-files=no']);
  return {
    ...(commit ? { gitCommit: commit } : {}),
    ...(status !== undefined ? { gitDirty: status.length > 0 } : {}),
    backend: { name: b.backend, simd: b.simd, threads: b.threads },
    node: process.version,
  };
}

function git(args: string[]): string | undefined {
  try {
    return execFileSync('git', args, {
      cwd: projectRoot(),
      encoding: 'utf8',
      timeout: 5000,
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return undefined; // not a checkout, or no git: the card goes without a commit
  }
}
