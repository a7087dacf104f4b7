"""A WebSocket connection's bounded outbox: frames go out in order; a reader too slow for them is
abandoned (queue dropped, error frame, close 1008), never buffered without bound."""

import asyncio

from appsync_local.server.outbox import SLOW_CONSUMER_CLOSE_CODE, QueuedConnection


class StalledSocket:
    """A socket whose peer stopped reading: data frames never finish sending."""

    def __init__(self):
        self.sent, self.closed_with, self._req = [], None, None
        self.closed = False

    async def send_str(self, text):
        if text.startswith("data"):
            self.sent.append(text)
            await asyncio.Event().wait()  # the peer's window is full
        self.sent.append(text)

    async def close(self, code, message=b""):
        self.closed, self.closed_with = True, code


def test_a_stalled_reader_is_abandoned_once_its_queue_passes_the_bound():
    async def scenario():
        overflowed = []
        ws = StalledSocket()
        connection = QueuedConnection(ws, max_queued_bytes=100, on_overflow=overflowed.append)
        writer = asyncio.create_task(connection.write())
        connection.send_text("data-1" + "x" * 54)  # taken by the writer, stuck in send_str
        await asyncio.sleep(0)
        connection.send_text("data-2" + "x" * 54)  # 60 B waiting
        assert (connection.queued_bytes, overflowed) == (60, [])
        connection.send_text("data-3" + "x" * 54)  # 120 B > 100: over the bound
        assert overflowed == [connection] and connection.closed
        connection.send_text("data-4")  # a closed connection queues nothing more
        assert connection.queued_bytes == 120 and connection.outbox.qsize() == 1
        connection.abandon('{"type":"error"}')
        assert connection.queued_bytes == 0 and connection.outbox.qsize() == 1  # the writer's stop only
        await asyncio.sleep(0.05)
        writer.cancel()
        return ws

    ws = asyncio.run(scenario())
    assert ws.sent == ["data-1" + "x" * 54, '{"type":"error"}']
    assert ws.closed_with == SLOW_CONSUMER_CLOSE_CODE


def test_frames_go_out_in_order_and_the_writer_stops_after_finish():
    class Socket(StalledSocket):
        async def send_str(self, text):
            self.sent.append(text)

    async def scenario():
        ws = Socket()
        connection = QueuedConnection(ws, max_queued_bytes=100)
        for n in range(3):
            connection.send({"n": n})
        connection.finish()
        await asyncio.wait_for(connection.write(), 1)
        return ws, connection

    ws, connection = asyncio.run(scenario())
    assert ws.sent == ['{"n":0}', '{"n":1}', '{"n":2}'] and connection.queued_bytes == 0
