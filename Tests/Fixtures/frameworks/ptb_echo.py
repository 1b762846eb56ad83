"""A python-telegram-bot echo bot as its users write one, pointed at another Bot API server.

Usage: ptb_echo.py API_BASE TOKEN

For each text it replies "echo: <text>" and then sends "<first name> wrote at <year>".
"""
import sys

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    reply = await message.reply_text(f"echo: {message.text}", do_quote=True)
    replied = reply.reply_to_message
    if replied is None or replied.message_id != message.message_id or replied.date != message.date:
        raise RuntimeError(f"the answer to sendMessage names the wrong message: {replied!r}")
    await message.reply_text(f"{message.from_user.first_name} wrote at {message.date:%Y}", do_quote=False)


def main(base: str, token: str) -> None:
    application = Application.builder().token(token).base_url(f"{base}/bot").build()
    application.add_handler(MessageHandler(filters.TEXT, echo))
    print("python-telegram-bot polling", flush=True)
    application.run_polling(poll_interval=0, timeout=1)


main(sys.argv[1], sys.argv[2])
