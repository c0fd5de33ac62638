/**
 * Who is calling, by network address, for limits that must hold without API keys (uploads in
 * flight per client). IPv4 addresses count one by one; IPv6 ones by their /64 prefix, the block a
 * single subscriber usually holds, so a client cannot dodge a cap by hopping addresses inside it.
 *
 * @module
 */

/** The client's address as a limit key: `203.0.113.7`, `2001:db8:1:2::/64`, or `local`. */
export function clientAddress(info?: { remoteAddr: Deno.Addr }): string {
  const addr = info?.remoteAddr;
  if (!addr || (addr.transport !== "tcp" && addr.transport !== "udp")) return "local";
  const host = addr.hostname;
  if (!host.includes(":")) return host;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(host);
  if (mapped) return mapped[1];
  return `${ipv6Groups(host).slice(0, 4).join(":")}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, lowercase, without leading zeros. */
function ipv6Groups(host: string): string[] {
  const bare = host.replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  const [head, tail] = bare.includes("::") ? bare.split("::") : [bare, undefined];
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const fill = tail === undefined
    ? []
    : Array(Math.max(0, 8 - left.length - right.length)).fill("0");
  return [...left, ...fill, ...right].map((g) => (parseInt(g, 16) || 0).toString(16));
}
