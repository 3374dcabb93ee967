/**
 * IAM `StringLike` semantics (`*` any run of characters, `?` exactly one) by the classic two-pointer
 * match: linear backtracking at most, so a requester's pattern can never stall a request the way a
 * regular expression built from it could.
 */
export function matchesWildcard(pattern: string, value: string): boolean {
  let p = 0;
  let v = 0;
  let starAt = -1;
  let resumeAt = 0;
  while (v < value.length) {
    if (p < pattern.length && (pattern[p] === '?' || pattern[p] === value[v])) {
      p++;
      v++;
    } else if (p < pattern.length && pattern[p] === '*') {
      starAt = p++;
      resumeAt = v;
    } else if (starAt >= 0) {
      p = starAt + 1;
      v = ++resumeAt;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}
