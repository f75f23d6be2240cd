"""Pure, incremental byte-stream parsers, one module per wire protocol.

Every parser has ``feed(data: bytes) -> list[Frame | Message]``, keeps the
bytes of an incomplete frame for the next call, resynchronises on the next
valid frame after garbage and counts what it discarded in ``parser.stats``.
Parsers never touch a transport, so they can be fuzzed and benchmarked alone.
"""

from ecgcore.drivers.protocols._framing import Frame, Message, ParserStats

__all__ = ["Frame", "Message", "ParserStats"]
