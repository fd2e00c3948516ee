// The engine's event bus: a bounded in-memory history (for `since` replays) plus live listeners,
// with Docker's filters (type, event, container, image, label, …) applied per listener.

import type { EventMessage, EventsOptions, Filters } from '../backend.js';
import { Channel } from '../../lib/channel.js';

const HISTORY = 1024;

/**
 * Whether an event passes Docker's `/events` filters, as moby's daemon/events Filter.Include
 * decides (keys AND, values OR): `type`, `event` (exact, or a prefix for health_status,
 * exec_create and exec_start), `scope`, and for each object kind (container, image, network,
 * volume, daemon, and the swarm kinds, of which this engine has no events) a match on the
 * actor's id or name prefix, which events of other kinds fail; `label` on the attributes.
 */
export function eventMatches(e: EventMessage, f: Filters): boolean {
  const attrs = e.Actor.Attributes;
  const values = (key: string): readonly string[] => f[key] ?? [];
  const exact = (key: string, source: string | undefined): boolean => values(key).length === 0 || (source !== undefined && values(key).includes(source));
  const fuzzy = (key: string, source: string | undefined): boolean => values(key).length === 0 || (source !== undefined && values(key).some((v) => source === v || source.startsWith(v)));
  const byName = (key: string): boolean => fuzzy(key, e.Actor.ID) || fuzzy(key, attrs.name);
  const fuzzyEvents = values('event').some((v) => v === 'health_status' || v === 'exec_create' || v === 'exec_start');
  const stripTag = (ref: string | undefined): string | undefined => ref?.replace(/:[^:/]*$/, '');
  const imageName = e.Type === 'image' ? attrs.name : attrs.image;
  const image = values('image').length === 0 || [e.Actor.ID, imageName, stripTag(e.Actor.ID), stripTag(imageName)].some((s) => s !== undefined && values('image').includes(s));
  return (
    (fuzzyEvents ? fuzzy('event', e.Action) : exact('event', e.Action)) &&
    exact('type', e.Type) &&
    exact('scope', e.scope) &&
    ['daemon', 'container', 'plugin', 'volume', 'network', 'node', 'service', 'secret', 'config'].every(byName) &&
    image &&
    values('label').every((v) => {
      const eq = v.indexOf('=');
      return eq < 0 ? v in attrs : attrs[v.slice(0, eq)] === v.slice(eq + 1);
    })
  );
}

export class EventBus {
  private readonly history: EventMessage[] = [];
  private readonly listeners = new Set<(e: EventMessage) => void>();

  constructor(private readonly now: () => number = Date.now) {}

  get listenerCount(): number {
    return this.listeners.size;
  }

  emit(type: EventMessage['Type'], action: string, id: string, attributes: Record<string, string>): EventMessage {
    const ms = this.now();
    const event: EventMessage = {
      Type: type,
      Action: action,
      Actor: { ID: id, Attributes: attributes },
      scope: 'local',
      time: Math.floor(ms / 1000),
      timeNano: ms * 1e6,
    };
    // Clients older than API 1.22 read these.
    if (type === 'container' || type === 'image') {
      event.status = action;
      event.id = id;
      if (attributes.image !== undefined && type === 'container') event.from = attributes.image;
    }
    this.history.push(event);
    if (this.history.length > HISTORY) this.history.splice(0, this.history.length - HISTORY);
    for (const l of this.listeners) l(event);
    return event;
  }

  subscribe(options: EventsOptions): AsyncIterable<EventMessage> {
    const out = new Channel<EventMessage>(options.signal);
    // timeNano exceeds 2^53; rounding back to milliseconds undoes the float error.
    const ms = (e: EventMessage): number => Math.round(e.timeNano / 1e6);
    const since = options.since?.getTime();
    const until = options.until?.getTime();
    if (since !== undefined) {
      for (const e of this.history) if (ms(e) >= since && (until === undefined || ms(e) <= until) && eventMatches(e, options.filters)) out.push(e);
    }
    if (until !== undefined && until <= this.now()) {
      out.end();
      return out;
    }
    const listener = (e: EventMessage): void => {
      if (eventMatches(e, options.filters)) out.push(e);
    };
    this.listeners.add(listener);
    const timer = until !== undefined ? setTimeout(() => out.end(), until - this.now()) : undefined;
    out.onClose(() => {
      this.listeners.delete(listener);
      if (timer) clearTimeout(timer);
    });
    return out;
  }
}
