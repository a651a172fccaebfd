import { API_SCOPES, expiryWithin, isApiScope, missingScopes, normalizeScopes } from './api-scopes';

describe('API scopes', () => {
  it('names six scopes and recognises only those', () => {
    expect(API_SCOPES).toEqual(['read', 'restore', 'backup', 'billing', 'webhooks', 'manage']);
    expect(isApiScope('restore')).toBe(true);
    expect(isApiScope('admin')).toBe(false);
    expect(isApiScope(undefined)).toBe(false);
  });

  it('lists the wanted scopes a holder lacks, in catalogue order', () => {
    expect(missingScopes(['read', 'restore'], ['read'])).toEqual([]);
    expect(missingScopes(['read'], ['manage', 'read', 'restore'])).toEqual(['restore', 'manage']);
    expect(missingScopes([], [])).toEqual([]);
  });

  it('normalizes to catalogue order without duplicates', () => {
    expect(normalizeScopes(['manage', 'read', 'manage'])).toEqual(['read', 'manage']);
  });

  it('never lets a minted key outlive its creator', () => {
    const creator = new Date('2030-01-01T00:00:00Z');
    expect(expiryWithin(null, null)).toBe(true);
    expect(expiryWithin(new Date('2040-01-01T00:00:00Z'), null)).toBe(true);
    expect(expiryWithin(null, creator)).toBe(false);
    expect(expiryWithin(new Date('2029-12-31T23:59:59Z'), creator)).toBe(true);
    expect(expiryWithin(creator, creator)).toBe(true);
    expect(expiryWithin(new Date('2030-01-01T00:00:01Z'), creator)).toBe(false);
  });
});
