"""An aiogram 3 echo bot as its users write one, pointed at another Bot API server.

Usage: aiogram_echo.py API_BASE TOKEN

For each text it replies "echo: <text>" (a reply, which carries reply_parameters) and then
sends "<first name> wrote at <year>" (from the decoded user and date), so the test sees that
aiogram parsed every object the server returned.
"""
import asyncio
import sys

from aiogram import Bot, Dispatcher, F
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Message


async def main(base: str, token: str) -> None:
    bot = Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(base)))
    dispatcher = Dispatcher()

    @dispatcher.message(F.text)
    async def echo(message: Message) -> None:
        reply = await message.reply(f"echo: {message.text}")
        replied = reply.reply_to_message
        if replied is None or replied.message_id != message.message_id or replied.date != message.date:
            raise RuntimeError(f"the answer to sendMessage names the wrong message: {replied!r}")
        await message.answer(f"{message.from_user.first_name} wrote at {message.date:%Y}")

    me = await bot.get_me()
    print(f"aiogram bot @{me.username} polling", flush=True)
    await dispatcher.start_polling(bot, polling_timeout=1)


asyncio.run(main(sys.argv[1], sys.argv[2]))
