/** Compares strings the way people count: "web2" before "web10". */
export const naturalCompare: (a: string, b: string) => number = new Intl.Collator('en', { numeric: true, sensitivity: 'base' }).compare;
