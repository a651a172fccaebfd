import { VendorCallTally } from './vendor-call-tally';

describe('VendorCallTally', () => {
  const graph = { id: 'c-graph', tenantId: 't1', vendor: 'graph' };
  const veeam = { id: 'c-veeam', tenantId: 't2', vendor: 'veeam' };

  it('keeps one count per connection and UTC day of the call, however many calls', () => {
    const tally = new VendorCallTally();
    for (let i = 0; i < 1000; i++) tally.add(graph, new Date('2025-03-01T10:00:00Z'));
    tally.add(graph, new Date('2025-03-01T23:59:59.999Z'));
    tally.add(graph, new Date('2025-03-02T00:00:00.000Z'));
    tally.add(veeam, new Date('2025-03-01T12:00:00Z'), 5);
    expect(tally.pending).toBe(1007);
    expect(tally.take()).toEqual([
      { connectionId: 'c-graph', tenantId: 't1', vendor: 'graph', day: '2025-03-01', calls: 1001 },
      { connectionId: 'c-graph', tenantId: 't1', vendor: 'graph', day: '2025-03-02', calls: 1 },
      { connectionId: 'c-veeam', tenantId: 't2', vendor: 'veeam', day: '2025-03-01', calls: 5 },
    ]);
  });

  it('empties on take, and merges restored counts with calls counted since', () => {
    const tally = new VendorCallTally();
    tally.add(graph, new Date('2025-03-01T10:00:00Z'), 3);
    const taken = tally.take();
    expect(tally.take()).toEqual([]);
    tally.add(graph, new Date('2025-03-01T11:00:00Z'), 2);
    tally.restore(taken);
    expect(tally.take()).toEqual([{ connectionId: 'c-graph', tenantId: 't1', vendor: 'graph', day: '2025-03-01', calls: 5 }]);
  });
});
