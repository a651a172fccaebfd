import { redactRequestUrl } from './redact-url';

describe('redactRequestUrl', () => {
  it.each([
    ['/v1/tenants?apiKey=bgk_secret&limit=5', '/v1/tenants?apiKey=[redacted]&limit=5'],
    ['/v1/tenants?api_key=bgk_secret', '/v1/tenants?api_key=[redacted]'],
    [
      '/v1/x?KEY=a&token=b&access_token=c&secret=d&password=e',
      '/v1/x?KEY=[redacted]&token=[redacted]&access_token=[redacted]&secret=[redacted]&password=[redacted]',
    ],
    ['/v1/x?x-api-key=a&client_secret=b', '/v1/x?x-api-key=[redacted]&client_secret=[redacted]'],
    ['/v1/x?api%5Fkey=a', '/v1/x?api%5Fkey=[redacted]'],
    ['/v1/x?%zz=a&limit=1', '/v1/x?%zz=a&limit=1'],
  ])('redacts credential parameters: %s', (url, expected) => {
    expect(redactRequestUrl(url)).toBe(expected);
  });

  it('keeps URLs without credentials as sent', () => {
    for (const url of ['/v1/tenants', '/v1/tenants?limit=5&cursor=abc', '/v1/a?keyId=1&monkey=2', '/v1/a?token', '/v1/a?'])
      expect(redactRequestUrl(url)).toBe(url);
  });
});
