"""An aiogram 3 echo bot as its users write one (the framework's defaults), pointed at another
Bot API server, for ops/bench-peers.sh. Given several tokens it runs them all in one process,
the way aiogram runs several bots: one dispatcher polling every bot (`start_polling(*bots)`).

Usage: aiogram_echo.py API_BASE TOKEN [TOKEN ...]
"""
import asyncio
import sys

from aiogram import Bot, Dispatcher, F
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Message


async def main(base: str, tokens: list[str]) -> None:
    server = TelegramAPIServer.from_base(base)
    bots = [Bot(token, session=AiohttpSession(api=server)) for token in tokens]
    dispatcher = Dispatcher()

    @dispatcher.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(message.text)

    print("polling", flush=True)
    await dispatcher.start_polling(*bots)


asyncio.run(main(sys.argv[1], sys.argv[2:]))
