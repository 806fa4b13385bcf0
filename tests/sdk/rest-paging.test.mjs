// Paging through a group's members with @azure/web-pubsub's group.listConnections (spec 2.3 #14):
// maxpagesize, top, and the absolute nextLink the SDK follows as-is (re-signed for that URL).
// 25 members spread over the server's workers; every page is checked for size, and the union for
// nothing missing and nothing duplicated.

import assert from "node:assert/strict";
import { test } from "node:test";
import { openRawClient } from "./support/clients.mjs";
import { exitPromptlyWhenDone, startServer } from "./support/server.mjs";
import { API_VERSION, call, jsonClient, restClient, signedFetch } from "./support/rest.mjs";

exitPromptlyWhenDone();

const HUB = "chat";
const MEMBERS = 25;

/** Opens `count` simple clients (users m00..) in `group`, plus JSON clients, and two outsiders. */
async function crowd(t, server, group) {
    const users = [];
    for (let i = 0; i < MEMBERS - 2; i++) {
        const userId = `m${String(i).padStart(2, "0")}`;
        const { url } = await server.clientAccess(HUB, { userId, groups: [group] });
        await openRawClient(t, url, undefined);
        users.push(userId);
    }
    const jsonMembers = [await jsonClient(t, server, HUB, { userId: "json-member", groups: [group, "other"] }), await jsonClient(t, server, HUB, { groups: [group] })];
    users.push("json-member", null);
    await jsonClient(t, server, HUB, { userId: "outsider", groups: ["other"] });
    await openRawClient(t, (await server.clientAccess(HUB, { userId: "outsider-2" })).url, undefined);
    return { users, jsonMembers };
}

async function collectPages(admin, group, options) {
    const pages = [];
    const iterator = await call(admin.group(group).listConnections(options), "listConnections");
    for await (const page of iterator.byPage()) {
        pages.push(page.map((m) => ({ ...m })));
        if (pages.length > 100) throw new Error("more than 100 pages: the nextLinks do not end");
    }
    return pages;
}

function assertComplete(members, users, jsonMembers, what) {
    const ids = members.map((m) => m.connectionId);
    assert.equal(new Set(ids).size, ids.length, `${what}: no connection listed twice (${ids.length} listed)`);
    assert.equal(members.length, users.length, `${what}: ${members.length} members listed, ${users.length} expected`);
    assert.deepEqual(members.map((m) => m.userId ?? null).sort(), [...users].sort(), `${what}: the members' userIds`);
    for (const client of jsonMembers) {
        const listed = members.find((m) => m.connectionId === client.connectionId);
        assert.ok(listed, `${what}: the JSON member ${client.connectionId} is listed`);
        assert.equal(listed.userId ?? null, client.userId ?? null);
    }
    const anonymous = members.filter((m) => m.userId === undefined || m.userId === null);
    assert.equal(anonymous.length, 1, `${what}: one anonymous member`);
}

test("group.listConnections pages 25 members with maxPageSize: every page full but the last, nothing missing or duplicated", async (t) => {
    const server = await startServer(t, { workers: 2 });
    const admin = restClient(server, HUB);
    const { users, jsonMembers } = await crowd(t, server, "crowd");

    const pages = await collectPages(admin, "crowd", { maxPageSize: 4 });
    assert.deepEqual(pages.map((p) => p.length), [4, 4, 4, 4, 4, 4, 1]);
    assertComplete(pages.flat(), users, jsonMembers, "maxPageSize 4");

    const exact = await collectPages(admin, "crowd", { maxPageSize: 5 });
    assert.deepEqual(exact.map((p) => p.length), [5, 5, 5, 5, 5], "no empty trailing page when the count divides evenly");
    assertComplete(exact.flat(), users, jsonMembers, "maxPageSize 5");

    const all = [];
    for await (const member of await call(admin.group("crowd").listConnections(), "listConnections without options")) all.push(member);
    assertComplete(all, users, jsonMembers, "default page size, item iteration");

    const one = await collectPages(admin, "crowd", { maxPageSize: 1 });
    assert.equal(one.length, MEMBERS);
    assertComplete(one.flat(), users, jsonMembers, "maxPageSize 1");

    const lonely = await collectPages(admin, "other", { maxPageSize: 200 });
    assert.deepEqual(lonely.flat().map((m) => m.userId).sort(), ["json-member", "outsider"]);
    assert.deepEqual(await collectPages(admin, "nobody-here"), [[]], "an empty group is one empty page");
});

test("group.listConnections with top stops after top members across pages", async (t) => {
    const server = await startServer(t, { workers: 2 });
    const admin = restClient(server, HUB);
    const { users, jsonMembers } = await crowd(t, server, "crowd");

    const pages = await collectPages(admin, "crowd", { maxPageSize: 4, top: 10 });
    assert.deepEqual(pages.map((p) => p.length), [4, 4, 2]);
    const ids = pages.flat().map((m) => m.connectionId);
    assert.equal(new Set(ids).size, 10, "no duplicates");

    const items = [];
    for await (const m of await call(admin.group("crowd").listConnections({ top: 7 }), "listConnections top 7")) items.push(m);
    assert.equal(items.length, 7);

    const more = await collectPages(admin, "crowd", { maxPageSize: 10, top: 100 });
    assertComplete(more.flat(), users, jsonMembers, "top above the member count");

    // The SDK validates maxPageSize and top before sending; the server refuses them out of range too.
    for (const extra of ["&maxpagesize=0", "&maxpagesize=201", "&top=0", "&continuationToken=%21%21"]) {
        const r = await signedFetch(server, "GET", `/api/hubs/${HUB}/groups/crowd/connections?api-version=${API_VERSION}${extra}`);
        assert.equal(r.status, 400, `${extra}: ${r.body}`);
    }
});

test("the members listed follow joins and leaves; every listed id answers connectionExists", async (t) => {
    const server = await startServer(t, { workers: 2 });
    const admin = restClient(server, HUB);
    const { jsonMembers } = await crowd(t, server, "crowd");

    const before = (await collectPages(admin, "crowd", { maxPageSize: 7 })).flat();
    for (const m of before.slice(0, 5)) {
        assert.equal(await call(admin.connectionExists(m.connectionId), "connectionExists"), true);
    }
    await call(admin.group("crowd").removeConnection(before[3].connectionId), "removeConnection");
    await call(admin.group("crowd").removeUser("m05"), "removeUser m05");
    await call(admin.group("crowd").addUser("outsider"), "addUser outsider");
    const after = (await collectPages(admin, "crowd", { maxPageSize: 7 })).flat();
    const users = after.map((m) => m.userId ?? null);
    assert.equal(after.length, MEMBERS - 2 + 1 + (before[3].userId === "m05" ? 1 : 0));
    assert.ok(!after.some((m) => m.connectionId === before[3].connectionId), "the removed connection is not listed");
    assert.ok(!users.includes("m05"), "the removed user is not listed");
    assert.ok(users.includes("outsider"), "the added user is listed");
    assert.equal(new Set(after.map((m) => m.connectionId)).size, after.length);
    // Every JSON member is still listed, but the removed connection if it was one (on a cluster the
    // id order, and so before[3], depends on the nodes' keys).
    const staying = jsonMembers.filter((c) => c.connectionId !== before[3].connectionId);
    assert.ok(staying.every((c) => after.some((m) => m.connectionId === c.connectionId)));
});
