/**
 * The longest delay a Node.js timer keeps, in milliseconds. `setTimeout` fires a longer delay
 * after 1 ms, so every timer set from a configured duration is capped to this (and, where the
 * duration must be kept exactly, re-armed for the rest).
 */
export const LONGEST_TIMER_MS = 2_147_483_647;
