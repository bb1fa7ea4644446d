import type { Argv } from 'yargs';
import { NotFoundError } from '../errors.js';
import { deleteSession, getSession, listSessions } from '../sessions/session-store.js';
import type { SessionDetail, SessionInfo } from '../sessions/types.js';
import { stateOptions, stateTarget, writeJson, writeLines } from './state-options.js';
import { clip, shortTime, table } from './table.js';

function sessionJson(session: SessionInfo) {
  return {
    id: session.id,
    org: session.org,
    bot_id: session.botId,
    created_at: session.createdAt,
    updated_at: session.updatedAt,
    turns: session.turns,
    first_prompt: session.firstPrompt,
  };
}

function notFound(id: string, org: string): NotFoundError {
  return new NotFoundError(`No session "${id}" in org ${org}.`, { hint: 'rehearse sessions ls lists the sessions of an org (--org to pick another).' });
}

function showText(session: SessionDetail): string[] {
  const lines = [
    `Session ${session.id}`,
    `  bot      ${session.botId}`,
    `  org      ${session.org}`,
    `  turns    ${session.turns}`,
    `  created  ${shortTime(session.createdAt)} UTC`,
    `  updated  ${shortTime(session.updatedAt)} UTC`,
    '',
  ];
  if (session.messages.length === 0) lines.push('No messages.');
  for (const message of session.messages) lines.push(`[${message.turn}] ${message.role}: ${message.content}`);
  return lines;
}

export function sessionsCommand(cli: Argv) {
  return cli.command('sessions', 'List, show and delete sessions (conversations that go on)', (sessions) =>
    sessions
      .command(
        'ls',
        'List the sessions of an org, most recently used first',
        (command) =>
          stateOptions(command)
            .option('bot', { type: 'string', describe: 'Only the sessions this bot started' })
            .option('limit', { type: 'number', default: 50, describe: 'At most this many' }),
        (args) => {
          const { statePath, org } = stateTarget(args);
          const found = listSessions(statePath, org, { ...(args.bot !== undefined && { botId: args.bot }), limit: args.limit });
          if (args.format === 'json') return writeJson(found.map(sessionJson));
          if (found.length === 0) return writeLines([`No sessions in org ${org}${args.bot === undefined ? '' : ` for bot ${args.bot}`}.`]);
          writeLines(
            table(
              [
                { header: 'SESSION', value: (s: SessionInfo) => s.id },
                { header: 'BOT', value: (s) => s.botId },
                { header: 'TURNS', value: (s) => String(s.turns), align: 'right' },
                { header: 'UPDATED (UTC)', value: (s) => shortTime(s.updatedAt) },
                { header: 'FIRST PROMPT', value: (s) => clip(s.firstPrompt, 48) },
              ],
              found,
            ),
          );
        },
      )
      .command(
        'show <id>',
        'Print a session and its messages',
        (command) => stateOptions(command).positional('id', { type: 'string', demandOption: true, describe: 'The session id' }),
        (args) => {
          const { statePath, org } = stateTarget(args);
          const session = getSession(statePath, org, args.id);
          if (!session) throw notFound(args.id, org);
          if (args.format === 'json') return writeJson({ ...sessionJson(session), messages: session.messages });
          writeLines(showText(session));
        },
      )
      .command(
        'rm <id>',
        'Delete a session: its messages and its sandbox folder (its run records stay)',
        (command) => stateOptions(command).positional('id', { type: 'string', demandOption: true, describe: 'The session id' }),
        (args) => {
          const { statePath, org } = stateTarget(args);
          if (!deleteSession(statePath, org, args.id)) throw notFound(args.id, org);
          if (args.format === 'json') return writeJson({ id: args.id, org, deleted: true });
          writeLines([`Deleted session ${args.id} (org ${org}).`]);
        },
      )
      .demandCommand(1, 'Name a sessions command: ls, show <id> or rm <id>.'),
  );
}
