/** Reading inputs for share-write review: the hunt's sources and normalization, every event. */
import { discoverInputs, readInput } from '../sources/index.js';
import type { ProblemSink } from '../sources/types.js';
import { eventTime, toEcs } from '../normalize/index.js';
import { ShareWriteCollector } from './collect.js';
import type { ShareReview, ShareReviewOptions } from './types.js';

/** Every event of `paths` (files, directories, `-`), problems to `onProblem`; never throws for bad input. */
export async function reviewShares(paths: string[], opts: ShareReviewOptions, onProblem: ProblemSink): Promise<ShareReview> {
  const collector = new ShareWriteCollector(opts);
  const inputs = await discoverInputs(paths, onProblem);
  for (const input of inputs) {
    for await (const batch of readInput(input, onProblem)) {
      for (const se of batch) {
        const ecs = toEcs(se.event);
        collector.observe(ecs, eventTime(se.event));
      }
    }
  }
  const review = collector.finish();
  review.stats.files = inputs.length;
  return review;
}
