/** Share-write review: which account and address wrote which executables to which hosts' shares. */
export { ShareWriteCollector } from './collect.js';
export { reviewShares } from './read.js';
export { EXECUTABLE_EXTENSIONS, inferShare, isExecutablePath } from './extensions.js';
export type { ShareReview, ShareReviewOptions, ShareReviewStats, ShareWriteRow } from './types.js';
