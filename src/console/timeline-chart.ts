/**
 * The unit page's role timeline as geometry (spec 10.5): one lane per role type, each role a bar
 * from its `from` to its `to` (both days included) labelled with its partner's name and dates,
 * an open end drawn to the chart's right edge as open, the time without a role between two roles
 * (and after the last one, up to today) as a gap, and today as a line. Pure: the template
 * (src/console/templates/timeline.eta) only draws what this returns, in SVG user units.
 */

export interface ChartRole {
  role: string;
  /** YYYY-MM-DD */
  from: string;
  /** YYYY-MM-DD, included; null: open. */
  to: string | null;
  pmnumber: string;
}

export interface ChartInput {
  roles: readonly ChartRole[];
  /** Display names by pmnumber; a partner without one is shown by its pmnumber. */
  partnerNames: ReadonlyMap<string, string>;
  /** The lanes in this order, drawn even when empty; a role of another type adds its lane after them. */
  laneTypes: readonly string[];
  /** YYYY-MM-DD */
  today: string;
  /** In SVG units, drawn at 1:1 (default CHART_WIDTH; a phone's chart: NARROW_CHART_WIDTH). */
  width?: number;
}

export interface BarLabel {
  /** Where the text starts (`start`) or ends (`end`). */
  x: number;
  anchor: 'start' | 'end';
  /** Inside the bar (light on the bar's colour) or beside it (dark on the background). */
  inside: boolean;
  /** The partner's name, then the dates; either may be shortened with "…" to fit. Empty: no room at all. */
  lines: string[];
}

export interface ChartBar {
  role: string;
  from: string;
  /** null: open. */
  to: string | null;
  open: boolean;
  pmnumber: string;
  name: string;
  /** "2018-05-01 – 2022-05-31" or "2018-05-01 – open" */
  dates: string;
  x: number;
  width: number;
  label: BarLabel;
}

export interface ChartGap {
  /** The first and the last day without a role. */
  from: string;
  to: string;
  /** The gap runs up to today (after the lane's last role). */
  untilToday: boolean;
  x: number;
  width: number;
}

export interface ChartLane {
  role: string;
  /** Top of the lane's bars. */
  y: number;
  bars: ChartBar[];
  gaps: ChartGap[];
}

export interface ChartGeometry {
  width: number;
  height: number;
  /** The drawing area of the bars: lanes' names left of `left`. */
  plot: { left: number; right: number; top: number; bottom: number };
  /** The first day shown and the day after the last one. */
  domain: { from: string; to: string };
  barHeight: number;
  /** How far before its end an open bar fades out (and ends in a point). */
  openFade: number;
  lanes: ChartLane[];
  /** Year marks along the bottom. */
  ticks: { x: number; label: string }[];
  today: { x: number; date: string };
}

export const CHART_WIDTH = 960;
/** What a 390 px wide screen has for the chart (the page's padding and the frame taken off). */
export const NARROW_CHART_WIDTH = 356;
const RIGHT_MARGIN = 16;
/** Room for the lanes' names left of the bars ("S-COR"), less on a narrow chart. */
const laneNameWidth = (width: number) => (width < 600 ? 50 : 72);
/** A year mark at least every this many units. */
const MIN_TICK_SPACING = 48;
const TOP = 26; // room for "today" above the lanes
const LANE_HEIGHT = 56;
const BAR_HEIGHT = 40;
const AXIS_HEIGHT = 26;
/** Average advance of a character at the chart's 12-unit font, and the padding either side of a label. */
const CHAR_WIDTH = 6.6;
const LABEL_PADDING = 6;
/** A role of one day is still visible. */
const MIN_BAR_WIDTH = 2;
/** An open bar fades out over its last units, where no label is put. */
const OPEN_FADE = 60;
const OPEN_END = '9999-12-31';
const DAY_MS = 86_400_000;
const TICK_STEPS = [1, 2, 5, 10, 20, 50, 100];
const MAX_TICKS = 12;

const dayNumber = (date: string): number => Date.parse(`${date}T00:00:00Z`) / DAY_MS;
const dateOf = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);
const yearOf = (date: string): number => Number(date.slice(0, 4));
const newYear = (year: number): string => `${String(year).padStart(4, '0')}-01-01`;
const textWidth = (text: string): number => text.length * CHAR_WIDTH + 2 * LABEL_PADDING;

/** A role whose `to` is missing or the open-end date has no end. */
const isOpen = (role: ChartRole): boolean => role.to === null || role.to >= OPEN_END;

/** `text` cut to `room` units with "…", or '' when not even two characters fit. */
function fitted(text: string, room: number): string {
  if (textWidth(text) <= room) return text;
  const chars = Math.floor((room - 2 * LABEL_PADDING) / CHAR_WIDTH) - 1;
  return chars < 2 ? '' : `${text.slice(0, chars)}…`;
}

/**
 * Whole years from January 1 of the earliest `from` (this year without roles) to January 1 after
 * the last day that matters: the latest `to` or `from`, and today. With an open role, at least
 * one whole year after today, so the open end reaches visibly past the today line.
 */
function domainOf(roles: readonly ChartRole[], today: string): { from: string; to: string } {
  const firstYear = Math.min(yearOf(today), ...roles.map((role) => yearOf(role.from)));
  const lastDates = [today, ...roles.flatMap((role) => [role.from, ...(isOpen(role) ? [] : [role.to as string])])];
  let lastYear = Math.max(...lastDates.map(yearOf)) + 1;
  if (roles.some(isOpen)) lastYear = Math.max(lastYear, yearOf(today) + 2);
  return { from: newYear(firstYear), to: newYear(lastYear) };
}

function ticksOf(domain: { from: string; to: string }, x: (date: string) => number, maxTicks: number) {
  const first = yearOf(domain.from);
  const last = yearOf(domain.to);
  const step = TICK_STEPS.find((candidate) => (last - first) / candidate <= maxTicks) ?? 100;
  const ticks = [];
  for (let year = Math.ceil(first / step) * step; year <= last; year += step) {
    ticks.push({ x: x(newYear(year)), label: String(year) });
  }
  return ticks;
}

/** The label of a bar: inside when it fits, else beside it where there is room, else inside, shortened. */
function labelOf(
  lines: string[],
  bar: { x: number; width: number },
  room: { before: number; after: number },
): BarLabel {
  const needed = Math.max(...lines.map(textWidth));
  if (needed <= bar.width) return { x: bar.x + LABEL_PADDING, anchor: 'start', inside: true, lines };
  if (needed <= room.after) {
    return { x: bar.x + bar.width + LABEL_PADDING, anchor: 'start', inside: false, lines };
  }
  if (needed <= room.before) return { x: bar.x - LABEL_PADDING, anchor: 'end', inside: false, lines };
  const shortened = lines.map((line) => fitted(line, bar.width)).filter((line) => line !== '');
  return { x: bar.x + LABEL_PADDING, anchor: 'start', inside: true, lines: shortened };
}

export function timelineChart({
  roles,
  partnerNames,
  laneTypes,
  today,
  width: chartWidth = CHART_WIDTH,
}: ChartInput): ChartGeometry {
  const plotLeft = laneNameWidth(chartWidth);
  const plotRight = chartWidth - RIGHT_MARGIN;
  const domain = domainOf(roles, today);
  const start = dayNumber(domain.from);
  const span = dayNumber(domain.to) - start;
  const scale = (plotRight - plotLeft) / span;
  const x = (date: string): number => plotLeft + (dayNumber(date) - start) * scale;
  const dayAfter = (date: string): string => dateOf(dayNumber(date) + 1);
  const dayBefore = (date: string): string => dateOf(dayNumber(date) - 1);

  const types = [...laneTypes, ...new Set(roles.map((role) => role.role).filter((type) => !laneTypes.includes(type)))];
  const lanes = types.map((type, index): ChartLane => {
    const y = TOP + index * LANE_HEIGHT + (LANE_HEIGHT - BAR_HEIGHT) / 2;
    const own = roles.filter((role) => role.role === type).sort((a, b) => (a.from < b.from ? -1 : 1));
    const spans = own.map((role) => {
      const open = isOpen(role);
      const left = x(role.from);
      const right = open ? plotRight : x(dayAfter(role.to as string));
      return { role, open, x: left, width: Math.max(MIN_BAR_WIDTH, right - left) };
    });
    const bars = spans.map(({ role, open, x: barX, width }, i): ChartBar => {
      const name = partnerNames.get(role.pmnumber) ?? role.pmnumber;
      const dates = `${role.from} – ${open ? 'open' : role.to}`;
      const previous = spans[i - 1];
      const next = spans[i + 1];
      const room = {
        before: barX - (previous ? previous.x + previous.width : plotLeft),
        after: (next ? next.x : plotRight) - (barX + width),
      };
      return {
        role: type,
        from: role.from,
        to: open ? null : role.to,
        open,
        pmnumber: role.pmnumber,
        name,
        dates,
        x: barX,
        width,
        // No label over an open bar's fading end.
        label: labelOf([name, dates], { x: barX, width: open ? Math.max(0, width - OPEN_FADE) : width }, room),
      };
    });
    const gaps: ChartGap[] = [];
    own.forEach((role, i) => {
      if (isOpen(role)) return;
      const firstFree = dayAfter(role.to as string);
      const next = own[i + 1];
      if (next) {
        if (next.from > firstFree) {
          gaps.push({
            from: firstFree,
            to: dayBefore(next.from),
            untilToday: false,
            x: x(firstFree),
            width: x(next.from) - x(firstFree),
          });
        }
      } else if (firstFree <= today) {
        gaps.push({
          from: firstFree,
          to: today,
          untilToday: true,
          x: x(firstFree),
          width: x(dayAfter(today)) - x(firstFree),
        });
      }
    });
    return { role: type, y, bars, gaps };
  });

  const lanesBottom = TOP + types.length * LANE_HEIGHT;
  return {
    width: chartWidth,
    height: lanesBottom + AXIS_HEIGHT,
    plot: { left: plotLeft, right: plotRight, top: TOP, bottom: lanesBottom },
    domain,
    barHeight: BAR_HEIGHT,
    openFade: OPEN_FADE,
    lanes,
    ticks: ticksOf(domain, x, Math.min(MAX_TICKS, Math.floor((plotRight - plotLeft) / MIN_TICK_SPACING))),
    today: { x: x(today), date: today },
  };
}
