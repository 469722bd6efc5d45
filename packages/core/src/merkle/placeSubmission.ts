import { MAX_TREE_HEIGHT, SEGMENT_CHUNKS } from "./constants.js";
import { badInput } from "./merkleError.js";

export interface SubmissionPlacement {
  /** Flow position of the first node (the `startPos` of the Submit event). */
  startPos: number;
  /** Flow position of each node; contiguous, since heights decrease. */
  nodeStarts: number[];
  /** Flow length after the submission. */
  newLength: number;
  /** Zero sectors inserted before `startPos` (alignment and the segment-boundary rule). */
  paddingSectors: number;
}

/** Rounds `length` up to a multiple of 2^alignExp (FlowTreeLib.nextAlign; 0 stays 0). */
export function nextAlign(length: number, alignExp: number): number {
  const unit = 2 ** alignExp;
  return Math.ceil(length / unit) * unit;
}

export function checkHeights(heights: readonly number[]): void {
  if (heights.length === 0) throw badInput("a submission has at least one node");
  for (const [i, h] of heights.entries()) {
    if (!Number.isInteger(h) || h < 0 || h >= MAX_TREE_HEIGHT) throw badInput(`node ${i} height ${h} is not an integer in [0, 64)`);
    if (i > 0 && h >= heights[i - 1]!) throw badInput(`node heights must strictly decrease, got ${heights.join(",")}`);
  }
}

/**
 * Where a submission lands in the flow (FlowTreeLib `pad` + `insertNode`, §1.5), given the flow's current length
 * (entry 0 is the dummy, so a fresh flow has length 1). A file that does not start on a segment boundary must fit
 * inside one segment; otherwise it moves to the next segment start.
 */
export function placeSubmission(currentLength: number, heights: readonly number[]): SubmissionPlacement {
  if (!Number.isSafeInteger(currentLength) || currentLength < 1) {
    throw badInput(`flow length must be a positive safe integer (entry 0 is the dummy), got ${currentLength}`);
  }
  checkHeights(heights);
  const size = heights.reduce((s, h) => s + 2 ** h, 0);
  let length = currentLength;
  const start = nextAlign(length, heights[0]!);
  if (start % SEGMENT_CHUNKS !== 0 && Math.floor(start / SEGMENT_CHUNKS) !== Math.floor((start + size - 1) / SEGMENT_CHUNKS)) {
    length = start + SEGMENT_CHUNKS - (start % SEGMENT_CHUNKS);
  }
  const nodeStarts: number[] = [];
  for (const h of heights) {
    const pos = nextAlign(length, h);
    nodeStarts.push(pos);
    length = pos + 2 ** h;
  }
  if (!Number.isSafeInteger(length)) throw badInput(`flow length ${length} would exceed 2^53`);
  const startPos = nodeStarts[0]!;
  return { startPos, nodeStarts, newLength: length, paddingSectors: startPos - currentLength };
}
