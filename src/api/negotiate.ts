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
  const ranges = accept
    .split(',')
    .map((part, position) => {
      const [range = '', ...parameters] = part.split(';').map((piece) => piece.trim().toLowerCase());
      const quality = Number(parameters.find((parameter) => parameter.startsWith('q='))?.slice(2) ?? '1');
      return { range, quality: Number.isFinite(quality) ? quality : 0, position };
    })
    .filter((entry) => entry.quality > 0)
    .sort((a, b) => b.quality - a.quality || a.position - b.position);
  for (const { range } of ranges) {
    if (range === '*/*' || range === 'application/*') return preferred;
    const mediaType = ALIASES[range];
    if (mediaType && offered.includes(mediaType)) return mediaType;
  }
  throw new NotAcceptableError(`this route answers in ${offered.join(' or ')}`, { details: { offered } });
}
