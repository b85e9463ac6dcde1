import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type RefObject, useRef, useState } from 'react';
import { useApi } from '../api/ApiContext.js';
import { listAgents, revokeAgent } from '../api/endpoints.js';
import { isApiError } from '../api/errors.js';
import type { Agent } from '../api/types.js';
import { ActionsHeader } from '../ui/ActionsHeader.js';
import { ConfirmButtons } from '../ui/ConfirmButtons.js';
import { useConfirmFocus } from '../ui/confirm-focus.js';
import { Empty, ErrorState, Loading, OutcomeNotice } from '../ui/states.js';
import './account.css';

/** A timestamp people can read, with the exact value on hover. */
function Time({ iso }: { iso: string }) {
  const date = new Date(iso);
  return (
    <time dateTime={iso} title={iso}>
      {Number.isNaN(date.getTime()) ? iso : date.toLocaleString()}
    </time>
  );
}

type Outcome = { readonly ok: boolean; readonly text: string };

/**
 * The account screen: the agents (assistants and other apps that registered themselves) the
 * person allowed, with their first and last use, and ending one after a confirmation. Ending it
 * refuses its tokens at once on every API instance and ends its grant at the identity provider.
 */
export function AccountScreen() {
  const api = useApi();
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState<Agent | undefined>();
  /** Set once an agent was ended: its row (and Revoke) is going, the focus goes to the heading. */
  const ended = useRef(false);
  const [outcome, setOutcome] = useState<Outcome | undefined>();
  const agents = useQuery({
    queryKey: ['me', 'agents'],
    queryFn: ({ signal }) => listAgents(api, signal),
  });
  const revoke = useMutation({
    mutationFn: (agent: Agent) => revokeAgent(api, agent.clientId),
    onSuccess: (answer) => {
      ended.current = true;
      setOutcome({
        ok: true,
        text: `${answer.clientId} can no longer act for you. ${answer.identityProvider.detail}`,
      });
    },
    onError: (error) =>
      setOutcome({
        ok: false,
        text: isApiError(error) ? error.message : 'Ending the agent failed. Try again.',
      }),
    onSettled: () => {
      setConfirming(undefined);
      return queryClient.invalidateQueries({ queryKey: ['me', 'agents'] });
    },
  });

  return (
    <section className="account" aria-labelledby="account-title">
      <h1 id="account-title" tabIndex={-1}>
        Your account
      </h1>
      <h2>Agents you allowed</h2>
      <p className="account__hint">
        Assistants and other apps you let act for you with your permissions. End one to stop it at
        once: its access is refused everywhere, and it has to ask you again to come back.
      </p>
      {confirming ? (
        <ConfirmRevoke
          agent={confirming}
          busy={revoke.isPending}
          onRevoke={() => revoke.mutate(confirming)}
          onCancel={() => {
            if (!revoke.isPending) setConfirming(undefined);
          }}
          afterEnd={ended}
        />
      ) : null}
      <OutcomeNotice outcome={outcome} />
      <AgentTable
        agents={agents}
        onRevoke={(agent) => {
          setOutcome(undefined);
          ended.current = false;
          setConfirming(agent);
        }}
      />
    </section>
  );
}

/**
 * "End this agent?": Cancel, the safe answer, has the focus and Escape cancels; afterwards the
 * focus is back on the agent's Revoke, or on the screen's heading once the agent is gone.
 */
function ConfirmRevoke({
  agent,
  busy,
  onRevoke,
  onCancel,
  afterEnd,
}: {
  agent: Agent;
  busy: boolean;
  onRevoke: () => void;
  onCancel: () => void;
  /** True once the agent was ended. */
  afterEnd: RefObject<boolean>;
}) {
  const box = useRef<HTMLDivElement>(null);
  const cancel = useRef<HTMLButtonElement>(null);
  const onKeyDown = useConfirmFocus({
    container: box,
    initial: cancel,
    onCancel,
    returnTo: () => (afterEnd.current ? document.getElementById('account-title') : null),
    fallback: () => document.getElementById('account-title'),
  });
  return (
    <div
      ref={box}
      className="confirm"
      role="alertdialog"
      aria-label="Confirm ending the agent"
      aria-describedby="confirm-revoke-text"
      onKeyDown={onKeyDown}
    >
      <p id="confirm-revoke-text">
        End <code>{agent.clientId}</code>? It can no longer read or change your todos.
      </p>
      <ConfirmButtons
        label="End access"
        busyLabel="Ending…"
        busy={busy}
        onConfirm={onRevoke}
        onCancel={onCancel}
        cancelRef={cancel}
      />
    </div>
  );
}

function AgentTable({
  agents,
  onRevoke,
}: {
  agents: ReturnType<typeof useQuery<{ items: Agent[] }>>;
  onRevoke: (agent: Agent) => void;
}) {
  if (agents.isPending) return <Loading label="Loading your agents…" />;
  if (agents.isError)
    return (
      <ErrorState error={agents.error} what="your agents" onRetry={() => void agents.refetch()} />
    );
  if (agents.data.items.length === 0)
    return <Empty title="No agent has acted for you.">Agents you allow appear here.</Empty>;
  return (
    <div className="table-wrap">
      <table className="table table--cards" aria-label="Agents you allowed">
        <thead>
          <tr>
            <th scope="col">Agent</th>
            <th scope="col">First used</th>
            <th scope="col">Last used</th>
            <ActionsHeader />
          </tr>
        </thead>
        <tbody>
          {agents.data.items.map((agent) => (
            <tr key={agent.clientId} data-testid="agent-row">
              <td data-label="Agent" className="mono">
                {agent.clientId}
              </td>
              <td data-label="First used">
                <Time iso={agent.firstUsedAt} />
              </td>
              <td data-label="Last used">
                <Time iso={agent.lastUsedAt} />
              </td>
              <td data-label="Actions">
                <button
                  type="button"
                  className="button button--ghost"
                  aria-label={`Revoke ${agent.clientId}`}
                  onClick={() => onRevoke(agent)}
                >
                  Revoke
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
