import { assertEquals } from "../../../ffi/testing/assert.ts";
import { clientAddress } from "./client_address.ts";

const tcp = (hostname: string) => ({
  remoteAddr: { transport: "tcp" as const, hostname, port: 40_000 },
});

Deno.test("an IPv4 client is its own address", () => {
  assertEquals(clientAddress(tcp("203.0.113.7")), "203.0.113.7");
});

Deno.test("IPv6 clients count by their /64, however the address is written", () => {
  const a = clientAddress(tcp("2001:db8:1:2::5"));
  assertEquals(a, "2001:db8:1:2::/64");
  assertEquals(clientAddress(tcp("2001:0db8:0001:0002:ffff:0:0:9")), a);
  assertEquals(clientAddress(tcp("[2001:db8:1:2:0:0:0:1]")), a);
  assertEquals(clientAddress(tcp("fe80::1%eth0")), "fe80:0:0:0::/64");
  assertEquals(clientAddress(tcp("2001:db8:1:3::5")) === a, false);
});

Deno.test("IPv4-mapped IPv6 is the IPv4 address; sockets without an address are local", () => {
  assertEquals(clientAddress(tcp("::ffff:198.51.100.4")), "198.51.100.4");
  assertEquals(clientAddress(), "local");
  assertEquals(
    clientAddress({ remoteAddr: { transport: "unix", path: "/tmp/s" } as Deno.Addr }),
    "local",
  );
});
