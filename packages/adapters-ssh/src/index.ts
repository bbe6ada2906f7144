// Public entry: re-exports only. Empty until this package gets its issue.
export {};
