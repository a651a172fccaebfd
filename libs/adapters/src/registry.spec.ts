import { VENDOR_IDS } from '@bg/domain';
import { registeredVendors, vendorDescriptor } from './registry';

describe('the vendor registry', () => {
  it('has exactly one descriptor per vendor id, each describing its own vendor', () => {
    expect([...registeredVendors()].sort()).toEqual([...VENDOR_IDS].sort());
    for (const vendor of VENDOR_IDS) {
      const d = vendorDescriptor(vendor);
      expect(d.capabilities.vendor).toBe(vendor);
      expect(d.defaultEndpoint).toMatch(/^https:\/\//);
      expect(d.credentialFields.length).toBeGreaterThan(0);
    }
  });

  it('refuses an id that is not registered, including Object.prototype keys', () => {
    expect(() => vendorDescriptor('nope' as never)).toThrow('No adapter registered for vendor nope');
    expect(() => vendorDescriptor('toString' as never)).toThrow('No adapter registered for vendor toString');
  });
});
