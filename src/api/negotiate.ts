import { NotAcceptableError } from '../domain/errors';
import { MediaType } from './responses';

const ALIASES: Record<string, MediaType> = {
  'application/json': MediaType.Json,
  'application/yaml': MediaType.Yaml,
  'application/x-yaml': MediaType.Yaml,
  'text/yaml': MediaType.Yaml,
};

/**
 * Picks the response media type from an Accept header among those a route offers (the first is the
 * default for a missing header or a wildcard). Quality values order the choice.
 */
export function negotiateMediaType(accept: string | undefined, offered: readonly MediaType[]): MediaType {
  const [preferred] = offered;
  if (!preferred) throw new Error('a route must offer at least one media type');
  if (!accept?.trim()) return preferred;
  const ranges = accept.split(',').map((part, position) => {
    const [range = '', ...parameters] = part.split(';').map((piece) => piece.trim().toLowerCase());
    const quality = Number(parameters.find((parameter) => parameter.startsWith('q='))?.slice(2) ?? '1');
    return { range, quality: Number.isFinite(quality) ? quality : 0, position };
  });
  // "q=0" refuses a type outright, even when a wildcard elsewhere would admit it.
  const refused = new Set(ranges.filter((entry) => entry.quality <= 0).map((entry) => ALIASES[entry.range]));
  const acceptable = offered.filter((mediaType) => !refused.has(mediaType));
  const wanted = ranges.filter((entry) => entry.quality > 0).sort((a, b) => b.quality - a.quality || a.position - b.position);
  for (const { range } of wanted) {
    if (range === '*/*' || range === 'application/*') {
      if (acceptable[0]) return acceptable[0];
      continue;
    }
    const mediaType = ALIASES[range];
    if (mediaType && acceptable.includes(mediaType)) return mediaType;
  }
  throw new NotAcceptableError(`this route answers in ${offered.join(' or ')}`, { details: { offered } });
}
