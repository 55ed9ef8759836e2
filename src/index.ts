/** spoor's library entry point: the pipeline source → normalize → engine → alert → output. */
export * from './ir/types.js';
export * from './events/field.js';
export * from './events/timestamp.js';
export * from './events/json.js';
