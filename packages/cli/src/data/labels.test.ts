import { describe, expect, it } from 'vitest';
import { parseCsv, parseJson } from './user-data.js';

describe('user data labels are class indices 0..K−1 or text names (issue 17, defect 5)', () => {
  it('a -1 or 1.5 label is an error naming the file, row and value, not an extra class', () => {
    expect(() => parseCsv('a,label\n1,0\n2,1\n3,-1\n', 'd.csv')).toThrow(/d\.csv: row 3, column label: label "-1" is not a class index: numeric labels must be integers 0, 1, …, K−1; map the labels to 0..K−1 yourself, or use text class names/);
    expect(() => parseCsv('a,label\n1,0\n2,1.5\n3,1\n', 'd.csv')).toThrow(/row 2, column label: label "1.5" is not a class index/);
    expect(() => parseJson('{"x": [[1], [2]], "labels": [0, -1]}', 'j.json')).toThrow(/j\.json: row 2, column label: label "-1"/);
  });

  it('numeric labels with an empty class (e.g. 1-based) are refused; integral values like 1.0 are indices', () => {
    expect(() => parseCsv('a,label\n1,1\n2,2\n3,3\n', 'd.csv')).toThrow(/numeric labels run 0..3 but class 0 never occurs; .*1-based labels: subtract 1/);
    const d = parseCsv('a,label\n1,0.0\n2,1.0\n3,1\n', 'd.csv');
    expect(d.classes).toBe(2);
    expect(Array.from(d.labels)).toEqual([0, 1, 1]);
  });

  it('text labels remain the declared mapping (sorted names)', () => {
    const d = parseCsv('a,label\n1,pos\n2,neg\n3,pos\n', 'd.csv');
    expect(d.classNames).toEqual(['neg', 'pos']);
    expect(Array.from(d.labels)).toEqual([1, 0, 1]);
  });
});
