export { ISSUES, MISSING_KEY, NOT_FOUND, APP_DUPLICATE, QB_DUPLICATE, NAME_TAKEN } from './issues';
export type { IssueCode, IssueText, MatchKind } from './issues';
export { decide, matchByKey, summarize } from './join';
export type { KeyedRecord, MatchFacts, MatchOutcome } from './join';
export { MatchBook, toIssue } from './book';
export type { MatchDoc, MatchIssue } from './book';
export { Matcher, keyOf } from './matcher';
export type { AppRecord, MatchReport, QbKey } from './matcher';
