// Package multinode holds the multi-node tests of dost: three real
// `dost serve` processes (internal/nodeproc) on loopback ports over one
// PostgreSQL database, as a load balancer would have them behind it. They
// prove that the nodes are stateless and share the work through the
// database alone:
//
//   - TestBoardsAcrossNodes: a call made on one node reaches the display
//     boards (server-sent events) connected to the two others within 1 s,
//     through PostgreSQL's LISTEN/NOTIFY (http.PGBoardRelay);
//   - TestCallNextAcrossNodes: thirty operators over the three nodes call
//     next at once while tickets are issued on all three; no ticket is
//     handed to two operators, none is lost;
//   - TestScanSharedByNodes: a population scan and a payroll preparation,
//     split into many shards, are worked by the job workers (River) of all
//     three nodes, and their result equals a single node's on an identical
//     database;
//   - TestKillMidScanAndPayroll: the node that is River's leader is killed
//     (SIGKILL) while its scan shards run, and again while its payroll
//     shards run; the other nodes finish, the lost shards are retried
//     elsewhere, and the result equals a single node's, nothing
//     duplicated.
//
// The tests need PostgreSQL (DOST_TEST_POSTGRES_URL, see
// internal/dosttest) and skip without it; they build the dost binary once
// (nodeproc.SharedBinary). The package has no code besides its tests.
package multinode
