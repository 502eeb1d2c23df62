// Package oaiwire reads OpenAI chat requests and writes OpenAI chat replies
// for the translators whose provider speaks another shape. Sluice's front
// door speaks OpenAI, so every translator reads the same request members,
// message roles, tool calls and data URIs, and writes the same
// chat.completion bodies, chat.completion.chunk events and usage objects.
// What is the same for every provider lives here; what each provider does
// with it stays in the provider's package.
//
// Reading: ParseBody, EachParam, ChatParams and IsNeutral walk the
// top-level members, accepting a parameter the provider lacks only at its
// neutral value; WalkMessages (made of EachMessage, EachText,
// EachUserContent and EachToolCall) and EachTool walk messages and tools
// with the exact path of anything refused.
//
// Writing: AppendHead, AppendChoice, AppendToolCall and AppendUsage build a
// chat.completion; Chunks writes the events of a stream.
package oaiwire
