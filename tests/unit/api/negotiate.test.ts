import { negotiateMediaType } from '../../../src/api/negotiate';
import { MediaType } from '../../../src/api/responses';
import { NotAcceptableError } from '../../../src/domain/errors';

const JSON_OR_YAML = [MediaType.Json, MediaType.Yaml];

describe('negotiateMediaType', () => {
  it.each([undefined, '', '   '])('answers in the first offered type when Accept is %j', (accept) => {
    // Arrange (the header above)

    // Act
    const mediaType = negotiateMediaType(accept, JSON_OR_YAML);

    // Assert
    expect(mediaType).toBe(MediaType.Json);
  });

  it.each([
    ['application/json', MediaType.Json],
    ['application/yaml', MediaType.Yaml],
    ['application/x-yaml', MediaType.Yaml],
    ['text/yaml', MediaType.Yaml],
    ['APPLICATION/YAML', MediaType.Yaml],
    ['application/yaml; charset=utf-8', MediaType.Yaml],
    ['*/*', MediaType.Json],
    ['application/*', MediaType.Json],
    ['text/html, application/yaml', MediaType.Yaml],
  ])('picks the offered type for Accept %j', (accept, expected) => {
    // Arrange (the header above)

    // Act
    const mediaType = negotiateMediaType(accept, JSON_OR_YAML);

    // Assert
    expect(mediaType).toBe(expected);
  });

  it.each([
    ['application/json;q=0.5, application/yaml', MediaType.Yaml],
    ['application/yaml;q=0.9, application/json;q=0.8', MediaType.Yaml],
    ['application/yaml;Q=0.1, application/json;q=0.2', MediaType.Json],
    ['application/json;q=0, application/yaml', MediaType.Yaml],
    ['application/yaml;q=nonsense, application/json', MediaType.Json],
    ['*/*;q=0.1, application/yaml', MediaType.Yaml],
  ])('orders the choice by quality for Accept %j', (accept, expected) => {
    // Arrange (the header above)

    // Act
    const mediaType = negotiateMediaType(accept, JSON_OR_YAML);

    // Assert
    expect(mediaType).toBe(expected);
  });

  it('keeps the header order between ranges of equal quality', () => {
    // Arrange
    const accept = 'application/yaml, application/json';

    // Act
    const mediaType = negotiateMediaType(accept, JSON_OR_YAML);

    // Assert
    expect(mediaType).toBe(MediaType.Yaml);
  });

  it('skips a known type the route does not offer', () => {
    // Arrange
    const accept = 'application/yaml, application/json;q=0.5';

    // Act
    const mediaType = negotiateMediaType(accept, [MediaType.Json]);

    // Assert
    expect(mediaType).toBe(MediaType.Json);
  });

  it.each(['text/html', 'application/xml, text/plain', 'application/json;q=0', 'text/*'])(
    'refuses Accept %j with a NotAcceptableError listing the offered types',
    (accept) => {
      // Arrange (the header above)

      // Act
      const negotiate = () => negotiateMediaType(accept, JSON_OR_YAML);

      // Assert
      expect(negotiate).toThrow(NotAcceptableError);
      expect(negotiate).toThrow('this route answers in application/json or application/yaml');
    },
  );

  it('carries the offered types as details of the refusal', () => {
    // Arrange
    const accept = 'text/html';

    // Act
    const refusal = (() => {
      try {
        negotiateMediaType(accept, JSON_OR_YAML);
      } catch (error) {
        return error as NotAcceptableError;
      }
      throw new Error('expected a refusal');
    })();

    // Assert
    expect(refusal.code).toBe('NOT_ACCEPTABLE');
    expect(refusal.details).toEqual({ offered: ['application/json', 'application/yaml'] });
  });

  it('insists that a route offers at least one media type', () => {
    // Arrange
    const offered: MediaType[] = [];

    // Act
    const negotiate = () => negotiateMediaType('application/json', offered);

    // Assert
    expect(negotiate).toThrow('a route must offer at least one media type');
  });
});
