"""A reusable consume-transform-produce engine with Kafka transactions (exactly-once).

The hub and the national node both run on it. A consumer group reads the input topics; for
every assigned input partition the engine owns one transactional producer whose id is
``f"{app_id}-{topic}-{partition}"``. aiokafka speaks the transaction APIs at version 0 only,
so there is no consumer-group fencing (KIP-447): a transactional id bound to the input
partition is what fences a zombie, because whoever owns the partition next initialises the
same id, which aborts the zombie's open transaction and bumps the epoch (as Faust does).

Per commit interval (``Settings.commit_interval_ms``) the engine fetches with ``getmany``,
hands each partition's records to :meth:`Processor.process`, appends the returned
:class:`Output` records to per-destination batches, then, per input partition and
concurrently, sends the batches, waits until the broker acknowledged every one of them,
then adds the input offsets with ``send_offsets_to_transaction`` and commits. aiokafka does
neither wait nor fail the transaction when a batch fails (its commit goes out while batches
are in flight), so the engine awaits each send itself: one failed send aborts the whole
transaction (outputs, state changelog, audit and input offsets alike), tells the processor to
drop the state it staged (:meth:`Processor.aborted`) and re-seeks the partition to its
committed offset. After a failed send the partition's producer is closed and a new one
initialised (a new epoch, sequence numbers from zero): an idempotent producer whose sequence
has a gap (a broker restarted, a batch lost) would otherwise fail every later batch with
``OutOfOrderSequenceNumber``. A send the broker can never accept (a record over the topic's
``max.message.bytes``, a missing write permission) stops the engine with
:class:`TopicRefusedError` naming the topic and the fix; nothing of it is committed.

``Mode.AT_LEAST_ONCE`` runs the same loop without transactions (one idempotent producer,
offsets committed after delivery); it exists for comparison and for relaxed deployments.

The package: :mod:`.records` (what a processor returns and implements), :mod:`.worker` (one
input partition's open transaction and its batches), :mod:`.engine` (the consume, commit,
abort and rebalance loop) and :mod:`.errors` (refused writes, failing partitions).
"""

from gateway.kafka.eos.engine import EosEngine
from gateway.kafka.eos.errors import PartitionFailingError, TopicRefusedError
from gateway.kafka.eos.records import Fanout, Mode, Output, Processor
from gateway.kafka.partitioning import partition_for

__all__ = [
    "EosEngine",
    "Fanout",
    "Mode",
    "Output",
    "PartitionFailingError",
    "Processor",
    "TopicRefusedError",
    "partition_for",
]
