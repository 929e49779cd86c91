//! A reader for Python pickles (protocols 2 to 5, as `torch.save` writes
//! them) that builds values and never runs code: classes and functions
//! come back as names, and calling one is left to a [`Resolver`] (the
//! PyTorch checkpoint reader knows how to rebuild tensors).
//!
//! Values are shared (`Rc`) as Python's objects are: the memo hands out the
//! same object, and lists and dicts (`RefCell`) change in place, so a dict
//! memoized before it was filled (as pickle always does) is seen filled
//! wherever it is referenced again. Nothing is copied, whatever the pickle
//! asks; values are freed without recursion, however deeply they nest.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// A value built by the pickle machine.
#[derive(Debug)]
pub(crate) enum Value {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Bytes(Vec<u8>),
    Tuple(Vec<Rc<Value>>),
    List(RefCell<Vec<Rc<Value>>>),
    Dict(RefCell<Vec<Item>>),
    /// A class or function, by name (`GLOBAL` / `STACK_GLOBAL`).
    Global {
        module: String,
        name: String,
    },
    /// A tensor or storage rebuilt by the resolver.
    Tensor(tensor::Tensor),
    /// Something the resolver could not or would not build, described.
    Opaque(String),
}

impl Value {
    /// A short description for messages: `a dict`, `the int 3`, `torch.nn.Linear`.
    pub(crate) fn describe(&self) -> String {
        match self {
            Value::None => "None".into(),
            Value::Bool(b) => format!("the bool {}", if *b { "True" } else { "False" }),
            Value::Int(v) => format!("the int {v}"),
            Value::Float(v) => format!("the float {v:?}"),
            Value::Str(s) if s.chars().count() <= 40 => format!("the str '{s}'"),
            Value::Str(_) => "a str".into(),
            Value::Bytes(b) => format!("{} bytes", b.len()),
            Value::Tuple(_) => "a tuple".into(),
            Value::List(_) => "a list".into(),
            Value::Dict(_) => "a dict".into(),
            Value::Global { module, name } => format!("{module}.{name}"),
            Value::Tensor(_) => "a tensor".into(),
            Value::Opaque(what) => what.clone(),
        }
    }
}

/// A dict's key and value.
pub(crate) type Item = (Rc<Value>, Rc<Value>);

impl Value {
    pub(crate) fn list(items: Vec<Rc<Value>>) -> Value {
        Value::List(RefCell::new(items))
    }

    pub(crate) fn dict(items: Vec<Item>) -> Value {
        Value::Dict(RefCell::new(items))
    }

    /// Moves the values this one holds into `out`.
    fn take_children(&mut self, out: &mut Vec<Rc<Value>>) {
        match self {
            Value::Tuple(items) => out.append(items),
            Value::List(items) => out.append(items.get_mut()),
            Value::Dict(items) => {
                for (key, value) in items.get_mut().drain(..) {
                    out.push(key);
                    out.push(value);
                }
            }
            _ => {}
        }
    }
}

/// Frees nested values with a work list: a pickle of a million nested
/// tuples would otherwise overflow the stack.
impl Drop for Value {
    fn drop(&mut self) {
        let mut pending = Vec::new();
        self.take_children(&mut pending);
        while let Some(value) = pending.pop() {
            if let Ok(mut value) = Rc::try_unwrap(value) {
                value.take_children(&mut pending);
            }
        }
    }
}

/// What the machine asks of its user: loading persistent ids (PyTorch's
/// storages live outside the pickle) and calling classes or functions.
pub(crate) trait Resolver {
    /// The object a persistent id (`BINPERSID`) names.
    fn persistent_load(&mut self, id: &Value) -> Result<Value, String>;
    /// The result of calling `module.name(*args)` (`REDUCE`, `NEWOBJ`).
    fn call(&mut self, module: &str, name: &str, args: &[Rc<Value>]) -> Result<Value, String>;
}

/// Runs the pickle in `data` to its `STOP` and returns the value it built.
///
/// # Errors
/// A message naming the byte offset if the pickle is truncated, malformed,
/// uses an opcode this reader does not have, or the resolver fails.
pub(crate) fn load(data: &[u8], resolver: &mut dyn Resolver) -> Result<Rc<Value>, String> {
    let mut machine = Machine {
        data,
        pos: 0,
        stack: Vec::new(),
        marks: Vec::new(),
        memo: HashMap::new(),
    };
    machine.run(resolver).map_err(|e| {
        format!(
            "invalid pickle at byte {}: {e}",
            machine.pos.saturating_sub(1)
        )
    })
}

struct Machine<'a> {
    data: &'a [u8],
    pos: usize,
    stack: Vec<Rc<Value>>,
    /// Stack heights at each `MARK`.
    marks: Vec<usize>,
    memo: HashMap<u64, Rc<Value>>,
}

impl<'a> Machine<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&end| end <= self.data.len())
            .ok_or_else(|| format!("the data ends inside an argument of {n} bytes"))?;
        let bytes = &self.data[self.pos..end];
        self.pos = end;
        Ok(bytes)
    }

    fn byte(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }

    fn le_uint(&mut self, n: usize) -> Result<u64, String> {
        let bytes = self.take(n)?;
        Ok(bytes
            .iter()
            .rev()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
    }

    /// A length argument, checked against the bytes left.
    fn length(&mut self, n: usize) -> Result<usize, String> {
        let len = self.le_uint(n)?;
        usize::try_from(len)
            .ok()
            .filter(|&len| len <= self.data.len() - self.pos)
            .ok_or_else(|| format!("a length of {len} bytes runs past the end of the data"))
    }

    /// A text argument ending in a newline (`GLOBAL`'s module and name).
    fn line(&mut self) -> Result<String, String> {
        let rest = &self.data[self.pos..];
        let end = rest
            .iter()
            .position(|&b| b == b'\n')
            .ok_or("the data ends inside a text argument")?;
        self.pos += end + 1;
        String::from_utf8(rest[..end].to_vec()).map_err(|_| "text argument is not UTF-8".into())
    }

    fn utf8(&mut self, len: usize) -> Result<Value, String> {
        let bytes = self.take(len)?;
        String::from_utf8(bytes.to_vec())
            .map(Value::Str)
            .map_err(|_| "a string is not valid UTF-8".into())
    }

    fn push(&mut self, value: Value) {
        self.stack.push(Rc::new(value));
    }

    fn pop(&mut self) -> Result<Rc<Value>, String> {
        if self.marks.last() == Some(&self.stack.len()) {
            return Err("pop below a mark".into());
        }
        self.stack.pop().ok_or_else(|| "stack underflow".into())
    }

    fn top(&mut self) -> Result<&mut Rc<Value>, String> {
        self.stack
            .last_mut()
            .ok_or_else(|| "stack underflow".into())
    }

    /// The items pushed since the last `MARK`, which is removed.
    fn pop_mark(&mut self) -> Result<Vec<Rc<Value>>, String> {
        let mark = self.marks.pop().ok_or("no mark on the stack")?;
        if mark > self.stack.len() {
            return Err("a mark above the stack".into());
        }
        Ok(self.stack.split_off(mark))
    }

    fn memo_get(&mut self, key: u64) -> Result<(), String> {
        let value = self
            .memo
            .get(&key)
            .cloned()
            .ok_or_else(|| format!("memo entry {key} is not set"))?;
        self.stack.push(value);
        Ok(())
    }

    fn memo_put(&mut self, key: u64) -> Result<(), String> {
        let value = self.stack.last().cloned().ok_or("stack underflow")?;
        self.memo.insert(key, value);
        Ok(())
    }

    fn run(&mut self, resolver: &mut dyn Resolver) -> Result<Rc<Value>, String> {
        loop {
            let op = self.byte()?;
            match op {
                0x80 => {
                    // PROTO
                    let protocol = self.byte()?;
                    if protocol > 5 {
                        return Err(format!("unknown pickle protocol {protocol}"));
                    }
                }
                0x95 => {
                    // FRAME: a length hint only.
                    self.take(8)?;
                }
                b'.' => return self.pop(), // STOP
                b'(' => self.marks.push(self.stack.len()),
                b'0' => {
                    self.pop()?;
                }
                b'1' => {
                    self.pop_mark()?;
                }
                b'2' => {
                    let top = self.top()?.clone();
                    self.stack.push(top);
                }
                b'N' => self.push(Value::None),
                0x88 => self.push(Value::Bool(true)),
                0x89 => self.push(Value::Bool(false)),
                b'J' => {
                    let v = self.le_uint(4)? as u32 as i32;
                    self.push(Value::Int(i64::from(v)));
                }
                b'K' => {
                    let v = self.byte()?;
                    self.push(Value::Int(i64::from(v)));
                }
                b'M' => {
                    let v = self.le_uint(2)?;
                    self.push(Value::Int(v as i64));
                }
                0x8a | 0x8b => {
                    // LONG1 / LONG4: little-endian two's complement.
                    let n = match op {
                        0x8a => usize::from(self.byte()?),
                        _ => self.length(4)?,
                    };
                    let bytes = self.take(n)?;
                    if n > 8 {
                        return Err(format!("an integer of {n} bytes does not fit in 64 bits"));
                    }
                    let negative = bytes.last().is_some_and(|&b| b & 0x80 != 0);
                    let fill = if negative { 0xff } else { 0 };
                    let mut full = [fill; 8];
                    full[..n].copy_from_slice(bytes);
                    self.push(Value::Int(i64::from_le_bytes(full)));
                }
                b'G' => {
                    let bytes = self.take(8)?;
                    let v = f64::from_be_bytes(bytes.try_into().expect("8 bytes"));
                    self.push(Value::Float(v));
                }
                b'X' => {
                    let n = self.length(4)?;
                    let s = self.utf8(n)?;
                    self.push(s);
                }
                0x8c => {
                    let n = usize::from(self.byte()?);
                    let s = self.utf8(n)?;
                    self.push(s);
                }
                0x8d => {
                    let n = self.length(8)?;
                    let s = self.utf8(n)?;
                    self.push(s);
                }
                b'U' | b'T' => {
                    // SHORT_BINSTRING / BINSTRING: Python 2 str, read as text.
                    let n = match op {
                        b'U' => usize::from(self.byte()?),
                        _ => self.length(4)?,
                    };
                    let bytes = self.take(n)?;
                    self.push(Value::Str(String::from_utf8_lossy(bytes).into_owned()));
                }
                b'C' | b'B' | 0x8e | 0x96 => {
                    // SHORT_BINBYTES / BINBYTES / BINBYTES8 / BYTEARRAY8
                    let n = match op {
                        b'C' => usize::from(self.byte()?),
                        b'B' => self.length(4)?,
                        _ => self.length(8)?,
                    };
                    let bytes = self.take(n)?.to_vec();
                    self.push(Value::Bytes(bytes));
                }
                b')' => self.push(Value::Tuple(Vec::new())),
                0x85..=0x87 => {
                    let n = usize::from(op - 0x84);
                    if self.stack.len() < n
                        || self.marks.last().is_some_and(|&m| m > self.stack.len() - n)
                    {
                        return Err("stack underflow".into());
                    }
                    let items = self.stack.split_off(self.stack.len() - n);
                    self.push(Value::Tuple(items));
                }
                b't' => {
                    let items = self.pop_mark()?;
                    self.push(Value::Tuple(items));
                }
                b']' => self.push(Value::list(Vec::new())),
                b'l' => {
                    let items = self.pop_mark()?;
                    self.push(Value::list(items));
                }
                b'}' => self.push(Value::dict(Vec::new())),
                b'd' => {
                    let items = self.pop_mark()?;
                    let dict = pairs(items)?;
                    self.push(Value::dict(dict));
                }
                0x8f => self.push(Value::list(Vec::new())), // EMPTY_SET, kept as a list
                0x91 => {
                    let items = self.pop_mark()?; // FROZENSET
                    self.push(Value::list(items));
                }
                b'a' => {
                    let item = self.pop()?;
                    extend(self.top()?, vec![item])?;
                }
                b'e' | 0x90 => {
                    // APPENDS / ADDITEMS
                    let items = self.pop_mark()?;
                    extend(self.top()?, items)?;
                }
                b's' => {
                    let value = self.pop()?;
                    let key = self.pop()?;
                    insert(self.top()?, vec![(key, value)])?;
                }
                b'u' => {
                    let items = self.pop_mark()?;
                    let items = pairs(items)?;
                    insert(self.top()?, items)?;
                }
                b'q' => {
                    let key = self.le_uint(1)?;
                    self.memo_put(key)?;
                }
                b'r' => {
                    let key = self.le_uint(4)?;
                    self.memo_put(key)?;
                }
                0x94 => {
                    let key = self.memo.len() as u64; // MEMOIZE
                    self.memo_put(key)?;
                }
                b'h' => {
                    let key = self.le_uint(1)?;
                    self.memo_get(key)?;
                }
                b'j' => {
                    let key = self.le_uint(4)?;
                    self.memo_get(key)?;
                }
                b'c' => {
                    let module = self.line()?;
                    let name = self.line()?;
                    self.push(Value::Global { module, name });
                }
                0x93 => {
                    let name = self.pop()?;
                    let module = self.pop()?;
                    match (&*module, &*name) {
                        (Value::Str(module), Value::Str(name)) => {
                            let (module, name) = (module.clone(), name.clone());
                            self.push(Value::Global { module, name });
                        }
                        _ => return Err("STACK_GLOBAL needs two strings".into()),
                    }
                }
                b'Q' => {
                    let id = self.pop()?;
                    let value = resolver.persistent_load(&id)?;
                    self.push(value);
                }
                b'R' | 0x81 => {
                    // REDUCE: callable(*args); NEWOBJ: cls.__new__(cls, *args)
                    let args = self.pop()?;
                    let callable = self.pop()?;
                    let args: &[Rc<Value>] = match &*args {
                        Value::Tuple(items) => items,
                        other => {
                            return Err(format!(
                                "call arguments are {}, not a tuple",
                                other.describe()
                            ))
                        }
                    };
                    let value = match &*callable {
                        Value::Global { module, name } => resolver.call(module, name, args)?,
                        other => {
                            Value::Opaque(format!("the result of calling {}", other.describe()))
                        }
                    };
                    self.push(value);
                }
                0x92 => {
                    // NEWOBJ_EX: cls, args, kwargs
                    let _kwargs = self.pop()?;
                    let _args = self.pop()?;
                    let cls = self.pop()?;
                    self.push(Value::Opaque(format!("an instance of {}", cls.describe())));
                }
                b'b' => {
                    // BUILD: sets an object's state; a dict's (OrderedDict's
                    // `_metadata`) and opaque objects' state are dropped.
                    self.pop()?;
                    self.top()?;
                }
                other => {
                    return Err(format!("unsupported pickle opcode 0x{other:02x}"));
                }
            }
        }
    }
}

/// Key-value pairs from a flat list `k0, v0, k1, v1, ...`.
fn pairs(items: Vec<Rc<Value>>) -> Result<Vec<Item>, String> {
    if !items.len().is_multiple_of(2) {
        return Err("a dict needs as many keys as values".into());
    }
    let mut out = Vec::with_capacity(items.len() / 2);
    let mut items = items.into_iter();
    while let (Some(k), Some(v)) = (items.next(), items.next()) {
        out.push((k, v));
    }
    Ok(out)
}

fn extend(target: &mut Rc<Value>, items: Vec<Rc<Value>>) -> Result<(), String> {
    match &**target {
        Value::List(list) => {
            list.borrow_mut().extend(items);
            Ok(())
        }
        other => Err(format!("cannot append to {}", other.describe())),
    }
}

/// Sets keys of a dict. A key set twice is listed twice; readers keep the
/// first place and the last value, as Python's dict does.
fn insert(target: &mut Rc<Value>, items: Vec<Item>) -> Result<(), String> {
    match &**target {
        Value::Dict(dict) => {
            dict.borrow_mut().extend(items);
            Ok(())
        }
        // Setting items on an object the reader does not build (a dict
        // subclass, say) keeps it opaque.
        Value::Opaque(_) => Ok(()),
        other => Err(format!("cannot set items of {}", other.describe())),
    }
}
