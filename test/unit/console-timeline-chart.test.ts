import { describe, expect, it } from 'vitest';
import { CHART_WIDTH, type ChartRole, timelineChart } from '../../src/console/timeline-chart.js';

const NAMES = new Map([
  ['12345611', 'Mustermann, Max'],
  ['12345612', 'Musterfrau, Meike'],
]);
const TODAY = '2026-11-30';
const cor = (from: string, to: string | null, pmnumber = '12345611'): ChartRole => ({
  role: 'S-COR',
  from,
  to,
  pmnumber,
});
const chartOf = (roles: ChartRole[], laneTypes = ['S-COR'], today = TODAY) =>
  timelineChart({ roles, partnerNames: NAMES, laneTypes, today });

const days = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / 86_400_000;

describe('the unit page timeline chart (geometry)', () => {
  it('after use case 1: two bars in the S-COR lane with names and dates, touching, then a gap up to today', () => {
    const chart = chartOf([cor('2018-05-01', '2022-05-31'), cor('2022-06-01', '2022-12-31', '12345612')]);
    expect(chart.lanes.map((lane) => lane.role)).toEqual(['S-COR']);
    const [lane] = chart.lanes;
    expect(
      lane?.bars.map(({ from, to, open, name, pmnumber, dates }) => ({ from, to, open, name, pmnumber, dates })),
    ).toEqual([
      {
        from: '2018-05-01',
        to: '2022-05-31',
        open: false,
        name: 'Mustermann, Max',
        pmnumber: '12345611',
        dates: '2018-05-01 – 2022-05-31',
      },
      {
        from: '2022-06-01',
        to: '2022-12-31',
        open: false,
        name: 'Musterfrau, Meike',
        pmnumber: '12345612',
        dates: '2022-06-01 – 2022-12-31',
      },
    ]);
    const [first, second] = lane?.bars ?? [];
    // the last day is included: the first bar ends where the second begins, no gap between them
    expect((first?.x ?? 0) + (first?.width ?? 0)).toBeCloseTo(second?.x ?? -1, 6);
    expect(lane?.gaps).toEqual([expect.objectContaining({ from: '2023-01-01', to: TODAY, untilToday: true })]);
    const gap = lane?.gaps[0];
    expect(gap?.x).toBeCloseTo((second?.x ?? 0) + (second?.width ?? 0), 6);
    // the gap reaches the end of today, where the today line is drawn at its start
    expect((gap?.x ?? 0) + (gap?.width ?? 0)).toBeGreaterThan(chart.today.x);
  });

  it('maps dates linearly onto whole years from the first role to the year after today', () => {
    const chart = chartOf([cor('2018-05-01', '2022-05-31')]);
    expect(chart.domain).toEqual({ from: '2018-01-01', to: '2027-01-01' });
    const { left, right } = chart.plot;
    const x = (date: string) => left + (days('2018-01-01', date) / days('2018-01-01', '2027-01-01')) * (right - left);
    const bar = chart.lanes[0]?.bars[0];
    expect(bar?.x).toBeCloseTo(x('2018-05-01'), 6);
    expect(bar?.width).toBeCloseTo(x('2022-06-01') - x('2018-05-01'), 6);
    expect(chart.today).toEqual({ x: expect.closeTo(x(TODAY), 6), date: TODAY });
    expect(chart.ticks.map((tick) => tick.label)).toEqual([
      '2018',
      '2019',
      '2020',
      '2021',
      '2022',
      '2023',
      '2024',
      '2025',
      '2026',
      '2027',
    ]);
    expect(chart.ticks[0]?.x).toBe(left);
    expect(chart.ticks.at(-1)?.x).toBe(right);
    expect(chart.width).toBe(CHART_WIDTH);
  });

  it('draws an open end to the right edge, at least a year past today, and no gap after it', () => {
    const chart = chartOf([cor('2018-05-01', null)]);
    const bar = chart.lanes[0]?.bars[0];
    expect(bar).toMatchObject({ open: true, to: null, dates: '2018-05-01 – open' });
    expect((bar?.x ?? 0) + (bar?.width ?? 0)).toBe(chart.plot.right);
    expect(chart.domain.to).toBe('2028-01-01');
    expect(chart.today.x).toBeLessThan(chart.plot.right - 50);
    expect(chart.lanes[0]?.gaps).toEqual([]);
    // 9999-12-31 is the contract's open end too
    expect(chartOf([cor('2018-05-01', '9999-12-31')]).lanes[0]?.bars[0]).toMatchObject({ open: true, to: null });
  });

  it('shows the days without a role between two roles as a gap', () => {
    const chart = chartOf([cor('2018-01-01', '2019-12-31'), cor('2020-03-01', null, '12345612')]);
    expect(chart.lanes[0]?.gaps).toEqual([
      expect.objectContaining({ from: '2020-01-01', to: '2020-02-29', untilToday: false }),
    ]);
    const [first, second] = chart.lanes[0]?.bars ?? [];
    const gap = chart.lanes[0]?.gaps[0];
    expect(gap?.x).toBeCloseTo((first?.x ?? 0) + (first?.width ?? 0), 6);
    expect((gap?.x ?? 0) + (gap?.width ?? 0)).toBeCloseTo(second?.x ?? 0, 6);
  });

  it('has no gap after a closed role that ends today or later', () => {
    expect(chartOf([cor('2018-01-01', TODAY)]).lanes[0]?.gaps).toEqual([]);
    expect(chartOf([cor('2018-01-01', '2027-06-30')]).lanes[0]?.gaps).toEqual([]);
    expect(chartOf([cor('2018-01-01', '2027-06-30')]).domain.to).toBe('2028-01-01');
  });

  it('has one lane per role type, in the given order, empty ones too; a role of another type adds its lane', () => {
    const chart = chartOf(
      [
        cor('2018-05-01', null),
        { role: 'S-BVA', from: '2019-01-01', to: null, pmnumber: '12345612' },
        { role: 'X-OTHER', from: '2020-01-01', to: '2020-12-31', pmnumber: '1' },
      ],
      ['S-COR', 'S-BIR', 'S-BVA'],
    );
    expect(chart.lanes.map((lane) => [lane.role, lane.bars.length])).toEqual([
      ['S-COR', 1],
      ['S-BIR', 0],
      ['S-BVA', 1],
      ['X-OTHER', 1],
    ]);
    const tops = chart.lanes.map((lane) => lane.y);
    expect(tops).toEqual([...tops].sort((a, b) => a - b));
    expect(new Set(tops).size).toBe(4);
    expect(chart.lanes[3]?.bars[0]?.name).toBe('1'); // no name known: the pmnumber
    expect(chart.height).toBeGreaterThan((chart.lanes[3]?.y ?? 0) + chart.barHeight);
  });

  it('puts a label inside a wide bar, beside a narrow one where there is room, else shortens it', () => {
    const chart = chartOf([cor('2018-05-01', '2022-05-31'), cor('2022-06-01', '2022-12-31', '12345612')]);
    const [wide, narrow] = chart.lanes[0]?.bars ?? [];
    expect(wide?.label).toMatchObject({
      inside: true,
      anchor: 'start',
      lines: ['Mustermann, Max', '2018-05-01 – 2022-05-31'],
    });
    expect(wide?.label.x).toBeGreaterThan(wide?.x ?? 0);
    // seven months are too narrow: the label goes right of the bar, over the gap
    expect(narrow?.label).toMatchObject({ inside: false, anchor: 'start' });
    expect(narrow?.label.x).toBeGreaterThan((narrow?.x ?? 0) + (narrow?.width ?? 0));

    // squeezed between two bars: shortened inside, or left out where not even two characters fit
    const squeezed = (from: string, to: string) =>
      chartOf([
        cor('2010-01-01', `${from.slice(0, 4)}-01-31`),
        cor(from, to, '12345612'),
        cor(`${Number(to.slice(0, 4)) + 1}-01-01`, null),
      ]).lanes[0]?.bars[1]?.label;
    const shortened = squeezed('2018-02-01', '2019-12-31');
    expect(shortened?.inside).toBe(true);
    expect(shortened?.lines).toHaveLength(2);
    for (const line of shortened?.lines ?? []) expect(line).toMatch(/^Mus.*…$|^2018-.*…$/);
    expect(squeezed('2018-02-01', '2018-12-31')?.lines).toEqual(['Mus…', '201…']);
    expect(squeezed('2018-02-01', '2018-05-31')?.lines).toEqual([]);
  });

  it('keeps a one-day role visible', () => {
    const bar = chartOf([cor('2020-02-29', '2020-02-29')]).lanes[0]?.bars[0];
    expect(bar?.width).toBeGreaterThanOrEqual(2);
  });

  it('marks a decade every 10 years over a long history, and today without any role', () => {
    const long = chartOf([cor('1950-01-01', null)]);
    expect(long.ticks.map((tick) => tick.label)).toEqual([
      '1950',
      '1960',
      '1970',
      '1980',
      '1990',
      '2000',
      '2010',
      '2020',
    ]);
    const empty = chartOf([]);
    expect(empty.domain).toEqual({ from: '2026-01-01', to: '2027-01-01' });
    expect(empty.lanes).toEqual([{ role: 'S-COR', y: expect.any(Number), bars: [], gaps: [] }]);
    expect(empty.today.x).toBeGreaterThan(empty.plot.left);
    expect(empty.today.x).toBeLessThan(empty.plot.right);
  });
});
