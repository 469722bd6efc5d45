import { type JsonRpcServer, p, RpcError } from "@zerog/core";

/** What the node exposes to operators (and fault-injection tests). */
export interface AdminDeps {
  nodeInfo(): Record<string, unknown>;
  peers(): { id: string; score: number; outbound: boolean; address: string | null }[];
  /** Drops all traffic with a peer while blocked (a transport-level partition); false if unknown. */
  setPeerBlocked(id: string, blocked: boolean): boolean;
}

/** `admin_*`: registered only when the operator enables it (`--rpc.admin`); never on a public port. */
export function registerAdminMethods(server: JsonRpcServer, deps: AdminDeps): void {
  server.register("admin_nodeInfo", { params: [], handler: () => deps.nodeInfo() });
  server.register("admin_peers", { params: [], handler: () => deps.peers() });
  server.register("admin_setPeerBlocked", {
    params: [p.string({ maxLength: 128 }), p.bool()],
    handler: ([id, blocked]) => {
      if (!deps.setPeerBlocked(id, blocked)) throw RpcError.fromCode(-32000, `unknown peer ${id}`);
      return true;
    },
  });
}
