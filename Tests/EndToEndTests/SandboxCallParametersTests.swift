import BotAPI
import NIOCore
import Testing

@testable import BotAPISandbox

/// How the sandbox reads a Bot API call's parameters from a form, a query or JSON.
@Suite struct SandboxCallParametersTests {
    static func form(_ body: String) -> CallParameters {
        .of(contentType: "application/x-www-form-urlencoded; charset=utf-8", body: ByteBuffer(string: body), query: nil)
    }

    @Test func aFormFieldIsTypedAsTheMethodWantsIt() throws {
        let request = try Self.form("chat_id=-100&text=42&reply_parameters=%7B%22message_id%22%3A+7%7D").decode(SendMessage.self)
        #expect(request.chatID == -100)
        #expect(request.text == "42", "a number-looking text stays text")
        #expect(request.replyParameters?.messageID == 7, "a JSON object in a field is the object")
    }

    @Test func aFormDecodesPlusesSpacesAndPercentEscapes() throws {
        let request = try Self.form("chat_id=1&text=1+%2B+1+%3D+2+%26+100%25+%D0%BF%D1%80%D0%B8").decode(SendMessage.self)
        #expect(request.text == "1 + 1 = 2 & 100% при")
    }

    @Test func aTextThatLooksLikeJSONOrAnUnfinishedObjectStaysText() throws {
        #expect(try Self.form("chat_id=1&text=%7B%22a%22%3A1%7D").decode(SendMessage.self).text == #"{"a":1}"#)
        #expect(try Self.form("chat_id=1&text=%7Bnot+json").decode(SendMessage.self).text == "{not json")
        #expect(try Self.form("chat_id=1&text=true").decode(SendMessage.self).text == "true")
        #expect(try Self.form("chat_id=1&text=nan").decode(SendMessage.self).text == "nan")
    }

    @Test func aQueryStringAndAJSONBodyWorkToo() throws {
        let query = CallParameters.of(contentType: nil, body: ByteBuffer(), query: "offset=5&timeout=0")
        #expect(try query.decode(GetUpdates.self).offset == 5)
        let json = CallParameters.of(contentType: "application/json", body: ByteBuffer(string: #"{"offset": 9}"#), query: "offset=5")
        #expect(try json.decode(GetUpdates.self).offset == 9, "a body wins over the query")
    }

    @Test func aMissingRequiredFieldIsStillAnError() {
        #expect(throws: DecodingError.self) { try Self.form("chat_id=1").decode(SendMessage.self) }
        #expect(throws: DecodingError.self) { try Self.form("chat_id=abc&text=x").decode(SendMessage.self) }
    }

    @Test func aFileUploadIsRefusedWithAReason() {
        let upload = CallParameters.of(
            contentType: "multipart/form-data; boundary=x", body: ByteBuffer(string: "--x\r\n"), query: nil)
        #expect(throws: CallParameters.Unsupported.self) { try upload.decode(SendMessage.self) }
    }
}
