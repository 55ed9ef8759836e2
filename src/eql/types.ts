/** Public option types of the EQL front end. */
export type EqlDialect = 'elasticsearch' | 'endgame';

export interface EqlParseOptions {
  /** Default `'elasticsearch'`. */
  dialect?: EqlDialect;
}
