/** Every item of a vendor list, page after page (`next` is the vendor's page token). */
export async function allPages<T>(fetch: (page?: string) => Promise<{ items: T[]; next?: string }>): Promise<T[]> {
  const out: T[] = [];
  let next: string | undefined;
  do {
    const page = await fetch(next);
    out.push(...page.items);
    next = page.next;
  } while (next);
  return out;
}
