import type { KernelFix } from './kernel-fix';
import { addNChunkedWebGpuFix } from './add-n-chunked.kernel';
import { batchMatMulBroadcastGradientFix } from './batch-mat-mul.gradient';
import { batchMatMulTransposeWasmFix, fusedMatMulTransposeWasmFix } from './mat-mul-transpose.kernel';
import { gatherWasmFix } from './gather.kernel';
import { identityShareWasmFix } from './identity.kernel';
import { oneHotWasmFix } from './one-hot.kernel';
import { transposeWasmFix } from './transpose.kernel';
import { unsortedSegmentSumWasmFix } from './unsorted-segment-sum.kernel';

/** Every known fix. To add one: write `<kernel>.kernel.ts` exporting a KernelFix, list it here. */
export const KERNEL_FIXES: readonly KernelFix[] = [
  unsortedSegmentSumWasmFix,
  oneHotWasmFix,
  gatherWasmFix,
  transposeWasmFix,
  identityShareWasmFix,
  batchMatMulBroadcastGradientFix,
  batchMatMulTransposeWasmFix,
  fusedMatMulTransposeWasmFix,
  addNChunkedWebGpuFix,
];

// Installed fixes per name, so init is idempotent and tests can undo them.
const installed = new Map<string, () => void>();

/** Installs the fixes that apply to `backendName`; returns the names now active for it. */
export function installKernelFixes(backendName: string, fixes: readonly KernelFix[] = KERNEL_FIXES): string[] {
  const active: string[] = [];
  for (const fix of fixes) {
    if (fix.backends !== 'all' && !fix.backends.includes(backendName)) continue;
    if (!installed.has(fix.name)) installed.set(fix.name, fix.install(backendName));
    active.push(fix.name);
  }
  return active;
}

/** Undoes every installed fix (tests compare stock and fixed kernels). */
export function uninstallKernelFixes(): void {
  for (const [name, undo] of [...installed].reverse()) {
    undo();
    installed.delete(name);
  }
}

export function installedKernelFixes(): string[] {
  return [...installed.keys()];
}
