/**
 * channel_binding as libpq takes it, for pgwarden's own connections (node-postgres). prefer
 * binds a SCRAM login to the TLS channel when the server offers SCRAM-SHA-256-PLUS: proof that
 * nobody in the middle relays the login. require refuses a login without it. node-postgres
 * binds when offered but never insists, so under require the password is handed to it only
 * once the server has offered the bound mechanism over TLS, and a login that asked for no
 * password (trust, a certificate) is refused after the fact: nothing secret was sent.
 */
import type { EventEmitter } from 'node:events';
import type { Client } from 'pg';
import type { DatabaseTarget } from '../config/databases';

export interface ChannelBinding {
  /** node-postgres options: enableChannelBinding, and the password (under require, given only to a bound login). */
  options: { enableChannelBinding: boolean; password?: string | (() => Promise<string>) };
  /** Watches the login of the client made with `options`. */
  watch(c: Client): void;
  /** Throws when require was not met (a login that asked for no password). */
  check(): void;
}

export function channelBinding(
  mode: DatabaseTarget['channelBinding'],
  tls: boolean,
  password: string | undefined,
  refusal: () => Error,
): ChannelBinding {
  if (mode !== 'require')
    return { options: { enableChannelBinding: mode === 'prefer', password }, watch: () => undefined, check: () => undefined };
  let offered = false;
  return {
    options: {
      enableChannelBinding: true,
      password: async () => {
        if (!offered) throw refusal();
        // None given: node-postgres then logs in without one (it reads no .pgpass here), and the server refuses.
        return password ?? '';
      },
    },
    watch(c) {
      // The connection exists before connect(); this listener runs before the client's own, which picks the mechanism.
      (c as unknown as { connection: EventEmitter }).connection.on('authenticationSASL', (m: { mechanisms: string[] }) => {
        offered = tls && m.mechanisms.includes('SCRAM-SHA-256-PLUS');
      });
    },
    check() {
      if (!offered) throw refusal();
    },
  };
}

/** The refusal's reason, after "cannot connect to <target>: ". */
export const CHANNEL_BINDING_REFUSAL =
  'channel_binding=require, but the server did not offer a login bound to the TLS channel (SCRAM-SHA-256-PLUS over TLS), so no password was sent; give this user a scram-sha-256 password and connect with TLS, or set channel_binding=prefer';
