"""Pure, incremental byte-stream parsers, one module per wire protocol.

Every parser has ``feed(data: bytes) -> list[Frame | Message]`` (fixed-frame
parsers also ``feed_items``, which gives in-sync runs as :class:`FrameRun`
arrays), keeps the
bytes of an incomplete frame for the next call, resynchronises on the next
valid frame after garbage and counts what it discarded in ``parser.stats``.
Parsers never touch a transport, so they can be fuzzed and benchmarked alone.
"""

from ecgcore.drivers.protocols._framing import Frame, FrameRun, Message, ParserStats

__all__ = ["Frame", "FrameRun", "Message", "ParserStats"]
