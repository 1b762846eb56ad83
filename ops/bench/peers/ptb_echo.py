"""A python-telegram-bot echo bot as its users write one (the framework's defaults), pointed at
another Bot API server, for ops/bench-peers.sh. Given several tokens it runs one `Application`
per bot in one process and one asyncio loop, as the framework's documentation shows for running
it beside other asyncio code (`run_polling` serves one application only).

Usage: ptb_echo.py API_BASE TOKEN [TOKEN ...]
"""
import asyncio
import sys

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.reply_text(update.effective_message.text, do_quote=False)


def build(base: str, token: str) -> Application:
    application = Application.builder().token(token).base_url(f"{base}/bot").build()
    application.add_handler(MessageHandler(filters.TEXT, echo))
    return application


async def run_all(applications: list[Application]) -> None:
    for application in applications:
        await application.initialize()
        await application.updater.start_polling()
        await application.start()
    print("polling", flush=True)
    await asyncio.Event().wait()  # until the benchmark kills the process


def main(base: str, tokens: list[str]) -> None:
    if len(tokens) == 1:
        application = build(base, tokens[0])
        print("polling", flush=True)
        application.run_polling()
    else:
        asyncio.run(run_all([build(base, token) for token in tokens]))


main(sys.argv[1], sys.argv[2:])
