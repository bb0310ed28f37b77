/**
 * What a stand-in's change tells people: the stand-in and whoever the rotation had on call then
 * by e-mail (each knows where they stand for tonight), the team's channel in Slack. Pure.
 */
import type { Notice } from '../../infra/notify/notice';
import { minuteUtc } from './details';
import type { StandIn } from './stand-ins';

export interface StandInChange {
  change: 'set' | 'removed';
  standIn: StandIn;
}

/** `inPlaceOf`: who the rotation (configured overrides included) has on call when the stand-in begins. */
export function standInNotice({ change, standIn: s }: StandInChange, inPlaceOf: string | undefined): Notice {
  const when = `from ${minuteUtc(s.from)} until ${minuteUtc(s.until)}`;
  const instead = inPlaceOf && inPlaceOf !== s.who ? ` in place of ${inPlaceOf}` : '';
  return {
    event: change === 'set' ? 'oncall.stand-in' : 'oncall.stand-in-removed',
    severity: 'info',
    // Whoever is on call must know it, whatever NOTIFY_*_ON say.
    alwaysSent: true,
    mark: 'ON CALL',
    about: s.id,
    title:
      change === 'set'
        ? `${s.who} is on call${instead} ${when}`
        : `${s.who} is no longer standing in on call ${when}: the rotation holds again`,
    facts: [
      ['Stand-in', `${s.id} (${s.who})`],
      ...(inPlaceOf ? ([['Rotation', inPlaceOf]] as Array<[string, string]>) : []),
      ['Matrix', s.matrix],
      ['From', minuteUtc(s.from)],
      ['Until', minuteUtc(s.until)],
      ['Set by', `${s.setBy}, ${minuteUtc(s.setAt)}`],
    ],
    ...(change === 'set' ? { action: `to take it back: pgwarden dr oncall --remove-stand-in ${s.id}` } : {}),
  };
}
