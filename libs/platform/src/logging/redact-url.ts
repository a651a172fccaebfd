/** Query parameters whose value is a credential, matched on the name without case, `-` or `_` (apiKey, api_key, X-Api-Key ...). */
const CREDENTIAL_PARAM =
  /^(x)?(api)?(key|token|accesstoken|refreshtoken|idtoken|secret|clientsecret|password|passwd|pwd|auth|authorization|sig|signature)$/;

/**
 * A request URL fit for a log line: the value of every query parameter named like a credential (key, apiKey,
 * api_key, token, access_token, secret, password ...) becomes `[redacted]`; the path and other parameters
 * are kept as sent. Total: any string in, a string out (a URL that cannot be parsed keeps only its path).
 */
export function redactRequestUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const query = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const rawName = eq < 0 ? pair : pair.slice(0, eq);
      let name: string;
      try {
        name = decodeURIComponent(rawName.replace(/\+/g, ' '));
      } catch {
        name = rawName;
      }
      const normalized = name.toLowerCase().replace(/[-_.\s[\]]/g, '');
      return eq >= 0 && CREDENTIAL_PARAM.test(normalized) ? `${rawName}=[redacted]` : pair;
    })
    .join('&');
  return `${url.slice(0, q)}?${query}`;
}
