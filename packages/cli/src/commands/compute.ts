import type { ComputeChain } from "@zerog/compute";
import type { Command } from "commander";
import { formatEther } from "viem";
import { registerComputeNodeCommands } from "./computeNode.js";
import { address, connectUser, describeService, type UserFlags, user, zgAmount } from "./computeOptions.js";
import { registerComputeUserCommands } from "./computeUser.js";
import { print } from "./shared.js";

/** `zg compute …`: the inference marketplace — ledger, services, asking, tokens, serving, verifying. */
export function registerComputeCommands(program: Command): void {
  const compute = program
    .command("compute")
    .description("0G Compute: fund a ledger, list services, ask a provider, serve a model, verify answers and vote on disputes");
  registerLedgerCommands(compute);
  registerComputeUserCommands(compute);
  registerComputeNodeCommands(compute);
  user(compute.command("services").description("the inference services registered on chain")).action(async (f: UserFlags) => {
    const chain = await connectUser(f, false);
    const services = await chain.listServices();
    const text = services.length === 0 ? "no services registered" : services.map((s) => describeService(s)).join("\n\n");
    print(f, services, text);
  });
}

function registerLedgerCommands(compute: Command): void {
  const ledger = compute.command("ledger").description("your ledger (main account) and the sub-accounts it funds");
  user(ledger.command("create").argument("<amount>", "ZG to put in (at least 3)").description("create your ledger")).action(
    async (amount: string, f: UserFlags) => {
      const chain = await connectUser(f, true);
      const tx = await chain.addLedger(zgAmount(amount, "amount"));
      await showLedger(chain, f, `ledger created (tx ${tx})`);
    },
  );
  user(
    ledger
      .command("deposit")
      .argument("<amount>", "ZG to add")
      .description("add to your ledger (creates it if needed: then at least 3 ZG)"),
  ).action(async (amount: string, f: UserFlags) => {
    const chain = await connectUser(f, true);
    const tx = await chain.depositFund(zgAmount(amount, "amount"));
    await showLedger(chain, f, `deposited ${amount} ZG (tx ${tx})`);
  });
  user(
    ledger
      .command("refund")
      .argument("<amount>", "ZG to take back")
      .description("take ZG from your ledger's available balance back to your wallet (what sits in sub-accounts needs `retrieve` first)"),
  ).action(async (amount: string, f: UserFlags) => {
    const chain = await connectUser(f, true);
    const tx = await chain.refund(zgAmount(amount, "amount"));
    await showLedger(chain, f, `refunded ${amount} ZG (tx ${tx})`);
  });
  user(
    ledger
      .command("transfer")
      .argument("<provider>", "provider address")
      .argument("<amount>", "ZG to move into the provider's sub-account (at least 1 the first time)")
      .description("fund your sub-account with a provider from your ledger"),
  ).action(async (provider: string, amount: string, f: UserFlags) => {
    const chain = await connectUser(f, true);
    const tx = await chain.transferFund(address(provider, "provider"), zgAmount(amount, "amount"));
    await showLedger(chain, f, `moved ${amount} ZG to ${provider} (tx ${tx})`);
  });
  user(
    ledger
      .command("retrieve")
      .argument("<providers...>", "provider addresses")
      .description("start refunds of your sub-accounts' balances; matured ones (after the lock time) return to your ledger"),
  ).action(async (providers: string[], f: UserFlags) => {
    const chain = await connectUser(f, true);
    const tx = await chain.retrieveFund(providers.map((p) => address(p, "providers")));
    await showLedger(chain, f, `retrieve requested (tx ${tx})`);
  });
  user(ledger.command("show").description("your ledger and sub-accounts")).action(async (f: UserFlags) => {
    await showLedger(await connectUser(f, true), f, "");
  });
}

async function showLedger(chain: ComputeChain, f: UserFlags, headline: string): Promise<void> {
  const l = await chain.getLedger();
  if (!l)
    return print(
      f,
      { ledger: null },
      `${headline ? `${headline}\n` : ""}no ledger for ${chain.address}; create one with zg compute ledger create 10`,
    );
  const providers = await chain.ledgerProviders();
  const accounts = await Promise.all(providers.map((p) => chain.getAccount(p)));
  const lines = [
    ...(headline ? [headline] : []),
    `ledger ${l.user}`,
    `  total      ${formatEther(l.totalBalance)} ZG`,
    `  available  ${formatEther(l.availableBalance)} ZG`,
    ...accounts.flatMap((a, i) =>
      a
        ? [
            `  sub-account ${providers[i]}: balance ${formatEther(a.balance)} ZG, pending refund ${formatEther(a.pendingRefund)} ZG, nonce ${a.nonce}`,
          ]
        : [],
    ),
  ];
  print(f, { ledger: l, accounts }, lines.join("\n"));
}
