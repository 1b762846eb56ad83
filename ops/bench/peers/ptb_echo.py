"""A python-telegram-bot echo bot as its users write one (the framework's defaults), pointed at
another Bot API server, for ops/bench-peers.sh.

Usage: ptb_echo.py API_BASE TOKEN
"""
import sys

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.reply_text(update.effective_message.text, do_quote=False)


def main(base: str, token: str) -> None:
    application = Application.builder().token(token).base_url(f"{base}/bot").build()
    application.add_handler(MessageHandler(filters.TEXT, echo))
    print("polling", flush=True)
    application.run_polling()


main(sys.argv[1], sys.argv[2])
